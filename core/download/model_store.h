// model_store.h - where Imago keeps its model and which folder is the active one.
//
// Default folder: $IMAGO_MODEL_DIR, else <AppDataLocation>/models/flava-full (what
// `imago-cli model download` and the GUI's first-run page install into). The active choice is
// remembered in <AppDataLocation>/models/models.json {"active": dir}. Each folder's model
// identity (computing it means reading every weight) is remembered by the model layer in
// cacheDir()/model-identity (model_identity.h: keyed by both files' stamps); the verbs and the
// app pass the same cache folder when they load a model. A folder counts as a model when
// ModelSession can open it; a `<dir>.partial` staging folder (see model_downloader.h) never does.
//
// Imported folders stay where the user keeps them: import validates and remembers, it does not
// copy. Not thread-safe: one ModelStore per thread; the JSON file is rewritten atomically.
#pragma once

#include <QString>

namespace imago {

struct ModelInfo
{
    QString dir;
    bool valid = false;
    QString problem;                     // why not valid
    QString identity;                    // "flava-<hash>" when known
    QString weightsFile;                 // "model.safetensors" or "pytorch_model.bin"
    qint64 sizeBytes = 0;                // all files in the folder
    QString repo, revision, installedAt; // from imago-model.json when downloaded by Imago
};

class ModelStore
{
public:
    // storeFile: the JSON file that remembers the choice; empty for the default. The model
    // cache (ModelOptions::cacheDir) is then <GenericCacheLocation>/imago, else cache/ beside
    // storeFile.
    explicit ModelStore(const QString &storeFile = {});

    static QString defaultModelDir();
    // The default model cache (for ModelOptions::cacheDir).
    static QString defaultCacheDir();
    QString cacheDir() const { return m_cacheDir; }
    // The folder verbs and the GUI use when none is given: the remembered choice if it is
    // still a folder, else the default folder if it holds a model, else empty.
    static QString activeModelDir();

    QString activeModel() const;
    void setActiveModel(const QString &dir);

    enum class Check
    {
        Quick,
        Full
    };
    // Quick: config, tokenizer, preprocessing and the weights file's header parse (fast, no
    // weights read). Full: the model is loaded (seconds for flava-full). Throws
    // std::runtime_error naming the folder or file and the problem.
    static void validate(const QString &dir, Check check = Check::Quick);

    // Validates fully, remembers the identity and makes the folder active. Throws like validate.
    ModelInfo importFolder(const QString &dir);
    // What a folder holds. computeIdentity: hash the files when the cache has no identity.
    ModelInfo describe(const QString &dir, bool computeIdentity);

private:
    QString m_file;
    QString m_cacheDir;
};

} // namespace imago
