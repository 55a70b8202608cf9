// model_session.h - a model folder opened for use: the FLAVA weights, the tokenizer the folder
// ships, and its image preprocessing settings, loaded and checked together.
//
// Immutable after open(); every member may be used from any thread (the model and tokenizer are
// thread-safe). Loading takes seconds for flava-full: do it off the GUI thread.
#pragma once

#include "flava_model.h"
#include "preprocess.h"
#include "tokenizer.h"

#include <QString>

#include <memory>
#include <stdexcept>

namespace imago {

struct ModelSessionOptions
{
    flava::ModelOptions model;
    bool loadWeights = true; // false: tokenizer and preprocessing only (e.g. `tokenize`)
};

class ModelSession
{
public:
    // Throws std::runtime_error whose what() names the folder or file and the problem.
    static std::shared_ptr<const ModelSession> open(const QString &modelDir,
                                                    const ModelSessionOptions &options = {});

    // A session around an already built model (e.g. FlavaModel::createRandom for benchmarks),
    // with a minimal WordPiece vocabulary and default CLIP preprocessing at the model's size.
    static std::shared_ptr<const ModelSession> fromModel(std::unique_ptr<flava::FlavaModel> model);

    const QString &directory() const { return m_dir; }
    // Null when opened with loadWeights = false.
    const flava::FlavaModel *model() const { return m_model.get(); }
    const flava::FlavaConfig &config() const { return m_config; }
    const Tokenizer &tokenizer() const { return *m_tokenizer; }
    const PreprocessConfig &preprocess() const { return m_preprocess; }
    // The model identity stored with every vector ("flava-<hash>"); empty without weights.
    QString identity() const;

private:
    ModelSession() = default;
    QString m_dir;
    flava::FlavaConfig m_config;
    std::unique_ptr<flava::FlavaModel> m_model;
    std::unique_ptr<Tokenizer> m_tokenizer;
    PreprocessConfig m_preprocess;
};

} // namespace imago
