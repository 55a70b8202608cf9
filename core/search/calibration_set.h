// calibration_set.h - fitting and judging the "confident" cut-off (match_calibration.h) on an
// evaluation set: queries whose relevant photos are known.
//
// The set is a JSON Lines file, one query per line, as flava-toy's eval/queries.jsonl:
//     {"text": "a red circle", "relevant": ["toy_012.jpg", "toy_046.jpg"]}
// (relevant photos by file name; other members are ignored). Each query is searched in a
// library that holds the set's images, its first `rerank` results rescored by the ITM head;
// every (query, reranked result) pair becomes one sample: the logit margin and whether the
// result is relevant. Platt's fit on those samples is the calibration.
//
// Threading: as SearchEngine (collectSamples may run beside other searches).
#pragma once

#include "match_calibration.h"

#include <QString>
#include <QStringList>

#include <vector>

namespace imago {

class SearchEngine;

struct EvaluationQuery
{
    QString text;
    QStringList relevant; // file names
};

// Throws std::runtime_error naming the file (and line) when it cannot be read or a line is
// not such a query.
std::vector<EvaluationQuery> readEvaluationQueries(const QString &jsonlFile);

struct CalibrationSamples
{
    std::vector<double> margins;
    std::vector<bool> relevant;
    int queries = 0;
    int relevantInLibrary = 0; // relevant photos the queries name (recall's denominator)
};

CalibrationSamples collectSamples(const SearchEngine &engine,
                                  const std::vector<EvaluationQuery> &queries, int rerank);

// How a cut-off does on samples: precision and recall of the results it calls confident.
struct CutoffQuality
{
    int confident = 0, correct = 0;
    double precision = 0; // correct / confident (0 when none is confident)
    double recall = 0;    // correct / relevantInLibrary
    double f1 = 0;
};
CutoffQuality cutoffQuality(const CalibrationSamples &samples, const MatchCalibration &c);

} // namespace imago
