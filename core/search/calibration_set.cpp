#include "calibration_set.h"

#include "search_engine.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>

#include <stdexcept>

namespace imago {

std::vector<EvaluationQuery> readEvaluationQueries(const QString &jsonlFile)
{
    QFile f(jsonlFile);
    if (!f.open(QIODevice::ReadOnly))
        throw std::runtime_error(
            QStringLiteral("%1: cannot read: %2").arg(jsonlFile, f.errorString()).toStdString());
    std::vector<EvaluationQuery> out;
    int line = 0;
    while (!f.atEnd()) {
        const QByteArray text = f.readLine().trimmed();
        ++line;
        if (text.isEmpty())
            continue;
        QJsonParseError pe;
        const QJsonObject o = QJsonDocument::fromJson(text, &pe).object();
        EvaluationQuery q;
        q.text = o.value(QStringLiteral("text")).toString();
        for (const QJsonValue &v : o.value(QStringLiteral("relevant")).toArray())
            q.relevant << v.toString();
        if (pe.error != QJsonParseError::NoError || q.text.trimmed().isEmpty() ||
            !o.value(QStringLiteral("relevant")).isArray())
            throw std::runtime_error(QStringLiteral("%1:%2: not an evaluation query (expected "
                                                    "{\"text\": ..., \"relevant\": [file "
                                                    "names]})")
                                         .arg(jsonlFile)
                                         .arg(line)
                                         .toStdString());
        out.push_back(std::move(q));
    }
    if (out.empty())
        throw std::runtime_error(
            QStringLiteral("%1: holds no queries").arg(jsonlFile).toStdString());
    return out;
}

CalibrationSamples collectSamples(const SearchEngine &engine,
                                  const std::vector<EvaluationQuery> &queries, int rerank)
{
    CalibrationSamples s;
    SearchOptions o;
    o.top = std::max(1, rerank);
    o.rerank = std::max(1, rerank);
    o.textSearch = false; // the cut-off judges the ITM head alone
    for (const EvaluationQuery &q : queries) {
        const QSet<QString> relevant(q.relevant.begin(), q.relevant.end());
        const SearchResponse r = engine.search(q.text, o);
        ++s.queries;
        s.relevantInLibrary += int(relevant.size());
        for (const SearchResult &res : r.results) {
            if (!res.matchMargin)
                continue;
            s.margins.push_back(*res.matchMargin);
            s.relevant.push_back(relevant.contains(QFileInfo(res.path).fileName()));
        }
    }
    return s;
}

CutoffQuality cutoffQuality(const CalibrationSamples &samples, const MatchCalibration &c)
{
    CutoffQuality q;
    for (std::size_t i = 0; i < samples.margins.size(); ++i)
        if (c.confident(samples.margins[i])) {
            ++q.confident;
            q.correct += samples.relevant[i] ? 1 : 0;
        }
    q.precision = q.confident ? double(q.correct) / q.confident : 0;
    q.recall = samples.relevantInLibrary ? double(q.correct) / samples.relevantInLibrary : 0;
    q.f1 = q.precision + q.recall > 0 ? 2 * q.precision * q.recall / (q.precision + q.recall) : 0;
    return q;
}

} // namespace imago
