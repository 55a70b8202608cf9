// match_calibration.h - from the ITM head's verdict to "a match a person can trust".
//
// FLAVA's ITM head gives two logits (no match, match); its softmax is the match probability
// each reranked result shows. That probability is the head's own, not a calibrated chance that
// a person would call the photo relevant: the toy model's positives often score below 0.5,
// flava-full's spread differs again. A fixed cut-off on it fits no model and no query (rclip's
// maintainers refused one for that reason). So Imago calibrates: Platt scaling (Platt 1999) of
// the logit margin m = logit_match - logit_no_match on an evaluation set of queries whose
// relevant photos are known,
//
//     P(relevant | m) = 1 / (1 + exp(-(scale * m + bias)))
//
// fitted by Newton's method on the log-loss with Platt's smoothed targets; a result is
// confident when that probability is at least one half (scale * m + bias >= 0). The margin,
// not the probability, is what is fitted, so saturated probabilities (0.9999...) still order.
//
// Where a calibration comes from: `imago-cli calibrate` fits one on an evaluation folder
// (images/ and queries.jsonl with each query's relevant files, as flava-toy's eval/ has) and
// writes it into the model folder as imago-match-calibration.json; a search engine opened on
// that folder uses it. Without one: scale 1, bias 0, i.e. FLAVA's own decision (p >= 0.5).
//
// Value type; thread-safe to share once built.
#pragma once

#include <QString>

#include <optional>
#include <span>
#include <vector>

namespace imago {

struct MatchCalibration
{
    double scale = 1.0;
    double bias = 0.0;
    QString source = QStringLiteral("default"); // "default", or the file it was read from

    // The calibrated chance that a result with this margin is relevant.
    double probability(double margin) const;
    bool confident(double margin) const { return scale * margin + bias >= 0; }

    // Platt's fit on margins and their labels (true: relevant). Needs both labels present;
    // otherwise returns the default calibration.
    static MatchCalibration fit(std::span<const double> margins, const std::vector<bool> &labels);

    static QString fileName() { return QStringLiteral("imago-match-calibration.json"); }
    // The folder's calibration file, or the default when it has none (or an unreadable one,
    // with a warning naming the file).
    static MatchCalibration forModelFolder(const QString &modelDir);
    static std::optional<MatchCalibration> load(const QString &file, QString *error = nullptr);
    // Writes JSON {"kind": "platt", "scale", "bias", plus `details` (what it was fitted on)}.
    bool save(const QString &file, const QString &details, QString *error = nullptr) const;
};

} // namespace imago
