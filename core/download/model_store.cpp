#include "model_store.h"

#include "checkpoint.h"
#include "download_log.h"
#include "model_identity.h"
#include "model_session.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QStandardPaths>

#include <stdexcept>

namespace imago {

namespace {

QJsonObject readObject(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

void writeObject(const QString &path, const QJsonObject &obj)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly)) {
        qCWarning(lcDownload) << "cannot write" << path << f.errorString();
        return;
    }
    f.write(QJsonDocument(obj).toJson());
    if (!f.commit())
        qCWarning(lcDownload) << "cannot write" << path << f.errorString();
}

QString defaultStoreFile()
{
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) +
           QStringLiteral("/models/models.json");
}

bool looksLikeModel(const QString &dir)
{
    return !dir.endsWith(QStringLiteral(".partial")) &&
           QFileInfo(QDir(dir).filePath(QStringLiteral("config.json"))).isFile();
}

} // namespace

ModelStore::ModelStore(const QString &storeFile)
    : m_file(storeFile.isEmpty() ? defaultStoreFile() : storeFile),
      m_cacheDir(storeFile.isEmpty()
                     ? defaultCacheDir()
                     : QFileInfo(storeFile).absolutePath() + QStringLiteral("/cache"))
{
}

QString ModelStore::defaultCacheDir()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericCacheLocation) +
           QStringLiteral("/imago");
}

QString ModelStore::defaultModelDir()
{
    const QString env = qEnvironmentVariable("IMAGO_MODEL_DIR");
    if (!env.isEmpty())
        return QDir::cleanPath(QDir(env).absolutePath());
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) +
           QStringLiteral("/models/flava-full");
}

QString ModelStore::activeModelDir()
{
    return ModelStore().activeModel();
}

QString ModelStore::activeModel() const
{
    const QString chosen = readObject(m_file).value(QStringLiteral("active")).toString();
    if (!chosen.isEmpty() && QFileInfo(chosen).isDir())
        return chosen;
    const QString fallback = defaultModelDir();
    return looksLikeModel(fallback) ? fallback : QString();
}

void ModelStore::setActiveModel(const QString &dir)
{
    QJsonObject obj = readObject(m_file);
    obj.insert(QStringLiteral("active"), QDir::cleanPath(QDir(dir).absolutePath()));
    writeObject(m_file, obj);
}

void ModelStore::validate(const QString &dir, Check check)
{
    if (!QFileInfo(dir).isDir())
        throw std::runtime_error(dir.toStdString() + ": not a folder");
    for (const char *name : {"config.json", "vocab.txt"})
        if (!QFileInfo(QDir(dir).filePath(QLatin1String(name))).isFile())
            throw std::runtime_error(QDir(dir).filePath(QLatin1String(name)).toStdString() +
                                     ": missing (a model folder needs config.json, vocab.txt "
                                     "and model.safetensors or pytorch_model.bin)");
    const std::filesystem::path path = QFile::encodeName(dir).toStdString();
    ModelSessionOptions options;
    options.model.device = flava::Device::Cpu;
    if (check == Check::Quick) {
        options.loadWeights = false;
        const flava::Checkpoint weights(flava::Checkpoint::weightsFile(path)); // header check
        if (weights.tensors().empty())
            throw std::runtime_error(weights.file().string() + ": holds no tensors");
    }
    ModelSession::open(dir, options);
}

ModelInfo ModelStore::importFolder(const QString &dirArg)
{
    const QString dir = QDir::cleanPath(QDir(dirArg).absolutePath());
    if (!QFileInfo(dir).isDir())
        throw std::runtime_error(dir.toStdString() + ": not a folder");
    validate(dir, Check::Quick); // fails fast with a precise message
    ModelSessionOptions options;
    options.model.device = flava::Device::Cpu;
    options.model.cacheDir = QFile::encodeName(m_cacheDir).toStdString();
    ModelSession::open(dir, options); // loads fully; the identity is remembered on the way
    setActiveModel(dir);
    return describe(dir, false);
}

ModelInfo ModelStore::describe(const QString &dirArg, bool computeIdentity)
{
    ModelInfo info;
    info.dir = QDir::cleanPath(QDir(dirArg).absolutePath());
    if (!QFileInfo(info.dir).isDir()) {
        info.problem = QStringLiteral("%1: not a folder").arg(info.dir);
        return info;
    }
    QDirIterator it(info.dir, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        it.next();
        info.sizeBytes += it.fileInfo().size();
    }
    const QJsonObject manifest =
        readObject(QDir(info.dir).filePath(QStringLiteral("imago-model.json")));
    info.repo = manifest.value(QStringLiteral("repo")).toString();
    info.revision = manifest.value(QStringLiteral("revision")).toString();
    info.installedAt = manifest.value(QStringLiteral("installed_at")).toString();
    const std::filesystem::path path = QFile::encodeName(info.dir).toStdString();
    const std::filesystem::path cache =
        flava::identityCacheDir(QFile::encodeName(m_cacheDir).toStdString());
    try {
        info.weightsFile =
            QFile::decodeName(flava::Checkpoint::weightsFile(path).filename().string().c_str());
        validate(info.dir, Check::Quick);
        info.identity = QString::fromStdString(
            computeIdentity ? flava::modelIdentity(path, cache)
                            : flava::cachedModelIdentity(path, cache).value_or(std::string()));
        info.valid = true;
    } catch (const std::exception &e) {
        info.problem = QString::fromUtf8(e.what());
    }
    return info;
}

} // namespace imago
