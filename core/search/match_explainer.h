// match_explainer.h - "Why this photo?": which regions of a photo make it match a text.
//
// Occlusion (Zeiler & Fergus 2014) with FLAVA's own ITM head, so the map explains the match
// probability the app shows: the model's input (the photo resized to the model's square, as
// the image processor does) is cut into rows x cols cells; each cell in turn is blanked to the
// dataset mean (0 after normalisation) and the photo re-scored. A cell's heat is how much the
// match probability drops without it (negative: the photo matches better without it).
//
//   1 + rows*cols images through the image encoder (batched by 8) and the ITM head: 17 for the
//   4x4 default, about 4 s for flava-full on 2 CPU cores; 50 for 7x7.
//
// The grid covers the whole photo as displayed (EXIF-oriented): FLAVA resizes to a square
// without cropping, so cell (r, c) is the photo's rectangle [c/cols, (c+1)/cols) x [r/rows, ...).
//
// Threading: pure function of its arguments; the model is thread-safe. Cancellable between
// batches; `progress` is called from the calling thread with (done, total).
#pragma once

#include <QString>
#include <QStringList>

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <vector>

namespace imago {

class ModelSession;

struct MatchExplanation
{
    int rows = 0, cols = 0;
    std::vector<float> grid;    // rows x cols, row-major: drop in match probability
    float matchProbability = 0; // of the whole photo
    QString translatedText;     // the English explained, when the text was translated
    QStringList warnings;       // words the model cannot read
    bool cancelled = false;
    float at(int row, int col) const { return grid[std::size_t(row) * cols + col]; }
    // The largest drop (the hottest cell's), 0 when no cell lowers the match.
    float largestDrop() const
    {
        return grid.empty() ? 0.0f : std::max(0.0f, *std::max_element(grid.begin(), grid.end()));
    }
};

// Throws std::runtime_error naming the photo when it cannot be decoded, or the text when it
// has no words.
MatchExplanation explainMatch(const ModelSession &model, const QString &photoPath,
                              const QString &text, int rows = 4, int cols = 4,
                              const std::function<void(int done, int total)> &progress = {},
                              const std::atomic<bool> *cancel = nullptr);

} // namespace imago
