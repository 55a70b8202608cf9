#include "model_session.h"

#include "wordpiece_tokenizer.h"

#include <QFileInfo>

namespace imago {

std::shared_ptr<const ModelSession> ModelSession::open(const QString &modelDir,
                                                       const ModelSessionOptions &options)
{
    if (modelDir.isEmpty())
        throw std::runtime_error("no model folder given");
    if (!QFileInfo(modelDir).isDir())
        throw std::runtime_error(modelDir.toStdString() + ": model folder does not exist");
    const std::filesystem::path dir = modelDir.toStdString();
    std::shared_ptr<ModelSession> s(new ModelSession);
    s->m_dir = modelDir;
    if (options.loadWeights) {
        s->m_model = flava::FlavaModel::load(dir, options.model);
        s->m_config = s->m_model->config();
    } else {
        s->m_config = flava::FlavaConfig::fromFile(dir / "config.json");
    }
    s->m_tokenizer = Tokenizer::fromModelFolder(dir, s->m_config.text.maxPositionEmbeddings);
    s->m_preprocess = PreprocessConfig::fromModelFolder(modelDir, s->m_config.image.imageSize);
    if (s->m_preprocess.size != s->m_config.image.imageSize)
        throw std::runtime_error(modelDir.toStdString() + ": preprocessor_config.json resizes to " +
                                 std::to_string(s->m_preprocess.size) +
                                 " pixels but the model's image_size is " +
                                 std::to_string(s->m_config.image.imageSize));
    return s;
}

std::shared_ptr<const ModelSession> ModelSession::fromModel(std::unique_ptr<flava::FlavaModel> model)
{
    std::shared_ptr<ModelSession> s(new ModelSession);
    s->m_config = model->config();
    s->m_model = std::move(model);
    WordPieceOptions wp;
    wp.maxLength = std::min(77, s->m_config.text.maxPositionEmbeddings);
    s->m_tokenizer = std::make_unique<WordPieceTokenizer>(
        std::vector<std::string>{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "photo"}, wp,
        "<built-in vocabulary>");
    s->m_preprocess.size = s->m_config.image.imageSize;
    return s;
}

QString ModelSession::identity() const
{
    return m_model ? QString::fromStdString(m_model->identity()) : QString();
}

} // namespace imago
