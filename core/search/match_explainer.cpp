#include "match_explainer.h"

#include "chinese_query.h"
#include "model_session.h"
#include "preprocess.h"

#include <algorithm>
#include <stdexcept>

namespace imago {

MatchExplanation explainMatch(const ModelSession &model, const QString &photoPath,
                              const QString &text, int rows, int cols,
                              const std::function<void(int, int)> &progress,
                              const std::atomic<bool> *cancel)
{
    if (rows < 1 || cols < 1 || rows > 32 || cols > 32)
        throw std::invalid_argument("explainMatch: the grid must be 1x1 to 32x32");
    if (!model.model())
        throw std::invalid_argument("explainMatch: the model session has no weights");
    MatchExplanation out;
    out.rows = rows;
    out.cols = cols;
    const QueryTranslation t = translateChineseQuery(text); // the text itself when not Chinese
    const QString english = t.text;
    if (t.translated)
        out.translatedText = english;
    if (english.trimmed().isEmpty())
        throw std::runtime_error("nothing to explain: the text has no words");
    const TokenizedText tokens = model.tokenizer().encode(english.toStdString());
    if (!tokens.unknownWords.empty()) {
        QStringList words;
        for (const auto &w : tokens.unknownWords)
            words << QString::fromStdString(w);
        out.warnings << QStringLiteral("The model cannot read: %1").arg(words.join(u", "));
    }

    const PreprocessConfig &pre = model.preprocess();
    const int side = pre.size;
    const std::size_t plane = std::size_t(side) * side, floats = 3 * plane;
    std::vector<float> photo(floats);
    if (const PreprocessOutcome r = preprocessImageFile(photoPath, pre, false, photo.data());
        !r.ok())
        throw std::runtime_error(
            QStringLiteral("%1: %2").arg(photoPath, r.reason().text).toStdString());

    const auto &m = *model.model();
    const int total = 1 + rows * cols;
    // Image 0 is the photo; image 1 + r*cols + c has cell (r, c) blanked.
    const auto image = [&](int k, float *dst) {
        std::copy(photo.begin(), photo.end(), dst);
        if (k == 0)
            return;
        const int r = (k - 1) / cols, c = (k - 1) % cols;
        const int y0 = r * side / rows, y1 = (r + 1) * side / rows;
        const int x0 = c * side / cols, x1 = (c + 1) * side / cols;
        for (int ch = 0; ch < 3; ++ch)
            for (int y = y0; y < y1; ++y)
                std::fill_n(dst + ch * plane + std::size_t(y) * side + x0, x1 - x0, 0.0f);
    };
    std::vector<float> probability(std::size_t(total), 0);
    constexpr int kBatch = 8;
    std::vector<float> pixels;
    for (int start = 0; start < total; start += kBatch) {
        if (cancel && cancel->load()) {
            out.cancelled = true;
            return out;
        }
        const int n = std::min(kBatch, total - start);
        pixels.resize(std::size_t(n) * floats);
        for (int j = 0; j < n; ++j)
            image(start + j, pixels.data() + std::size_t(j) * floats);
        const auto encoded = m.encodeImages(pixels, n);
        std::vector<std::shared_ptr<const flava::ImageStates>> states;
        for (const auto &e : encoded)
            states.push_back(e.states);
        const auto scores = m.match(states, tokens.ids);
        for (int j = 0; j < n; ++j)
            probability[std::size_t(start + j)] = scores[std::size_t(j)].probability;
        if (progress)
            progress(start + n, total);
    }
    out.matchProbability = probability[0];
    out.grid.resize(std::size_t(rows) * cols);
    for (int k = 1; k < total; ++k)
        out.grid[std::size_t(k - 1)] = probability[0] - probability[std::size_t(k)];
    return out;
}

} // namespace imago
