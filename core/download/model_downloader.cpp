#include "model_downloader.h"

#include "download_log.h"
#include "model_store.h"
#include "safetensors_writer.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QFuture>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkProxyFactory>
#include <QNetworkReply>
#include <QPromise>
#include <QRegularExpression>
#include <QSaveFile>
#include <QStorageInfo>
#include <QThreadPool>

#include <algorithm>
#include <cmath>

#include <fcntl.h>
#include <unistd.h>

namespace imago {

namespace {

const QString kStateFile = QStringLiteral(".imago-download.json");
const QString kManifest = QStringLiteral("imago-model.json");
const QString kSafetensors = QStringLiteral("model.safetensors");
const QString kTorchBin = QStringLiteral("pytorch_model.bin");
constexpr qint64 kDiskMargin = 64ll << 20;

struct WantedFile
{
    const char *name;
    bool required;
};
// model.safetensors stands for the weights: pytorch_model.bin when the revision lacks it.
constexpr WantedFile kWanted[] = {
    {"config.json", true},
    {"model.safetensors", true},
    {"vocab.txt", true},
    {"preprocessor_config.json", false},
    {"tokenizer_config.json", false},
    {"special_tokens_map.json", false},
    {"tokenizer.json", false},
};

QString unquoteEtag(QByteArray tag)
{
    tag = tag.trimmed();
    if (tag.startsWith("W/"))
        tag = tag.mid(2);
    if (tag.size() >= 2 && tag.startsWith('"') && tag.endsWith('"'))
        tag = tag.mid(1, tag.size() - 2);
    return QString::fromLatin1(tag);
}

bool isSha256(const QString &s)
{
    static const QRegularExpression hex(QStringLiteral("^[0-9a-f]{64}$"));
    return hex.match(s).hasMatch();
}

QJsonObject readJson(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

bool writeJson(const QString &path, const QJsonObject &obj)
{
    QSaveFile f(path); // temp file, fsync, rename
    if (!f.open(QIODevice::WriteOnly))
        return false;
    f.write(QJsonDocument(obj).toJson());
    return f.commit();
}

void syncDirectory(const QString &dir)
{
    const int fd = ::open(QFile::encodeName(dir).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

QString megabytes(qint64 bytes)
{
    return QStringLiteral("%1 MB").arg(double(bytes) / 1e6, 0, 'f', 1);
}

} // namespace

// The file in flight: its .part, the running sha256 of the bytes in it, and the GET's state.
struct ModelDownloader::Transfer
{
    QString name;
    QFile part;
    std::shared_ptr<QCryptographicHash> hash =
        std::make_shared<QCryptographicHash>(QCryptographicHash::Sha256);
    qint64 hashed = 0;   // bytes of the part fed to hash
    qint64 offset = 0;   // where this GET starts (Range)
    qint64 received = 0; // bytes of this GET written
    bool statusChecked = false;
    bool rangeIgnored = false;
};

ModelDownloader::ModelDownloader(DownloadOptions options, QObject *parent)
    : QObject(parent), m_options(std::move(options))
{
    qRegisterMetaType<imago::DownloadProgress>();
    qRegisterMetaType<imago::DownloadFailure>();
    QNetworkProxyFactory::setUseSystemConfiguration(true);
    m_endpoint = m_options.endpoint.isEmpty() ? defaultEndpoint() : m_options.endpoint;
    while (m_endpoint.endsWith(QLatin1Char('/')))
        m_endpoint.chop(1);
    m_retryTimer.setSingleShot(true);
}

ModelDownloader::~ModelDownloader()
{
    m_stopped = true;
    if (m_reply)
        m_reply->abort();
}

QString ModelDownloader::defaultEndpoint()
{
    QString e = qEnvironmentVariable("HF_ENDPOINT");
    while (e.endsWith(QLatin1Char('/')))
        e.chop(1);
    return e.isEmpty() ? QStringLiteral("https://huggingface.co") : e;
}

QUrl ModelDownloader::fileUrl(const QString &endpoint, const QString &repo, const QString &revision,
                              const QString &file)
{
    return QUrl(
        QStringLiteral("%1/%2/resolve/%3/%4")
            .arg(endpoint, repo, QString::fromLatin1(QUrl::toPercentEncoding(revision)), file));
}

QNetworkRequest ModelDownloader::makeRequest(const QUrl &url) const
{
    QNetworkRequest req(url);
    // Byte ranges and sizes refer to the stored bytes: no transparent compression.
    req.setRawHeader("Accept-Encoding", "identity");
    req.setHeader(QNetworkRequest::UserAgentHeader, QStringLiteral("imago/model-downloader"));
    req.setTransferTimeout(m_options.transferTimeoutMs);
    return req;
}

QString ModelDownloader::stagingPath(const QString &name) const
{
    return stagingDir() + QLatin1Char('/') + name;
}

void ModelDownloader::start()
{
    Q_ASSERT(!m_running);
    m_running = true;
    m_stopped = false;
    m_clock.start();
    if (m_options.targetDir.isEmpty())
        return fail(
            {DownloadFailure::Kind::Invalid, QStringLiteral("no target folder given"), {}, 0});
    if (QFileInfo::exists(m_options.targetDir) && !m_options.replaceExisting)
        return fail({DownloadFailure::Kind::Exists,
                     QStringLiteral("%1 already exists; choose another folder or replace it")
                         .arg(m_options.targetDir),
                     {},
                     0});
    if (!QDir().mkpath(stagingDir()))
        return fail({DownloadFailure::Kind::FileSystem,
                     QStringLiteral("cannot create the folder %1").arg(stagingDir()),
                     {},
                     0});
    m_files.clear();
    for (const auto &w : kWanted) {
        RemoteFile f;
        f.name = QString::fromLatin1(w.name);
        f.required = w.required;
        f.url = fileUrl(m_endpoint, m_options.repo, m_options.revision, f.name);
        m_files.push_back(f);
    }
    m_current = 0;
    m_progress = {};
    resolveNext();
}

void ModelDownloader::cancel()
{
    if (!m_running)
        return;
    m_stopped = true;
    m_running = false;
    m_retryTimer.stop();
    if (m_reply)
        m_reply->abort();
    if (m_transfer && m_transfer->part.isOpen())
        m_transfer->part.close();
    qCDebug(lcDownload) << "download canceled; resumable from" << stagingDir();
    Q_EMIT canceled();
}

// ---- resolving: HEAD every file for its size and checksum ----------------------------------

void ModelDownloader::resolveNext()
{
    if (m_current >= m_files.size())
        return afterResolve();
    m_progress.phase = DownloadProgress::Phase::Resolving;
    m_progress.file = m_files[m_current].name;
    emitProgress(true);
    sendHead(m_files[m_current].url, 0);
}

void ModelDownloader::sendHead(const QUrl &url, int hops)
{
    QNetworkRequest req = makeRequest(url);
    // The Hub puts X-Linked-Size / X-Linked-Etag on its redirect to the CDN: read them there.
    req.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                     QNetworkRequest::ManualRedirectPolicy);
    QNetworkReply *reply = m_network.head(req);
    m_reply = reply;
    connect(reply, &QNetworkReply::finished, this,
            [this, reply, hops] { onHeadFinished(reply, hops); });
}

void ModelDownloader::onHeadFinished(QNetworkReply *reply, int hops)
{
    reply->deleteLater();
    if (m_stopped)
        return;
    RemoteFile &f = m_files[m_current];
    const QString url = reply->url().toString();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QString reason = reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString();
    if (status == 0)
        return retryOrFail(Step::Head,
                           {DownloadFailure::Kind::Network,
                            QStringLiteral("cannot reach %1: %2").arg(url, reply->errorString()),
                            url, 0});
    if (status == 404) {
        if (f.name == kSafetensors) {
            qCInfo(lcDownload) << "no model.safetensors at this revision; using pytorch_model.bin";
            f.name = kTorchBin;
            f.url = fileUrl(m_endpoint, m_options.repo, m_options.revision, f.name);
            return sendHead(f.url, 0);
        }
        if (!f.required) {
            qCDebug(lcDownload) << "optional file not in the repository:" << f.name;
            m_files.erase(m_files.begin() + qsizetype(m_current));
            m_attempt = 0;
            return resolveNext();
        }
        return fail({DownloadFailure::Kind::NotFound,
                     QStringLiteral("HTTP 404 Not Found: %1 (is the repository %2 at revision "
                                    "%3 on %4?)")
                         .arg(url, m_options.repo, m_options.revision, m_endpoint),
                     url, status});
    }
    const DownloadFailure httpFailure{
        DownloadFailure::Kind::Http,
        QStringLiteral("HTTP %1 %2 from %3").arg(status).arg(reason, url), url, status};
    if (status >= 500 || status == 429)
        return retryOrFail(Step::Head, httpFailure);
    const QByteArray linkedSize = reply->rawHeader("X-Linked-Size");
    const bool redirect = status >= 300 && status < 400;
    if (redirect && linkedSize.isEmpty()) {
        const QUrl location = reply->header(QNetworkRequest::LocationHeader).toUrl();
        if (!location.isValid() || hops >= 10)
            return fail(
                {DownloadFailure::Kind::Http,
                 QStringLiteral("HTTP %1 from %2 without a usable redirect").arg(status).arg(url),
                 url, status});
        return sendHead(reply->url().resolved(location), hops + 1);
    }
    if (!redirect && (status < 200 || status >= 300)) {
        DownloadFailure failure = httpFailure;
        if (status == 401 || status == 403)
            failure.message += QStringLiteral(" (the server refuses access; check HF_ENDPOINT "
                                              "and any proxy)");
        return fail(failure);
    }
    bool ok = false;
    f.size = linkedSize.toLongLong(&ok);
    if (!ok)
        f.size = reply->header(QNetworkRequest::ContentLengthHeader).toLongLong(&ok);
    if (!ok)
        f.size = -1;
    QByteArray tag = reply->rawHeader("X-Linked-Etag");
    if (tag.isEmpty())
        tag = reply->rawHeader("ETag");
    f.etag = unquoteEtag(tag);
    // LFS objects carry their sha256 as the ETag; plain git files a sha1 (size check only).
    f.sha256 = isSha256(f.etag.toLower()) ? f.etag.toLower() : QString();
    qCDebug(lcDownload) << f.name << "size" << f.size << "sha256" << f.sha256;
    m_attempt = 0;
    ++m_current;
    resolveNext();
}

void ModelDownloader::afterResolve()
{
    m_state = readJson(stagingPath(kStateFile));
    const QJsonObject done = m_state.value(QStringLiteral("files")).toObject();
    qint64 total = 0, present = 0, needed = 0;
    bool sizesKnown = true;
    for (auto &f : m_files) {
        if (f.name == kSafetensors || f.name == kTorchBin)
            m_weights = f.name;
        const QJsonObject rec = done.value(f.name).toObject();
        const QFileInfo fi(stagingPath(f.name));
        if (!rec.isEmpty() && rec.value(QStringLiteral("etag")).toString() == f.etag &&
            qint64(rec.value(QStringLiteral("size")).toDouble()) == f.size && fi.isFile() &&
            fi.size() == f.size) {
            f.done = true;
            f.onDisk = f.size;
        } else {
            QFile::remove(stagingPath(f.name)); // of unknown provenance: fetch again
            const QJsonObject side = readJson(stagingPath(f.name + QStringLiteral(".part.json")));
            const QFileInfo part(stagingPath(f.name + QStringLiteral(".part")));
            if (part.isFile() && side.value(QStringLiteral("etag")).toString() == f.etag &&
                qint64(side.value(QStringLiteral("size")).toDouble()) == f.size &&
                part.size() <= f.size)
                f.onDisk = part.size();
        }
        if (f.size < 0)
            sizesKnown = false;
        total += std::max<qint64>(f.size, 0);
        present += f.onDisk;
        needed += std::max<qint64>(f.size - f.onDisk, 0);
    }
    for (const auto &f : m_files)
        if (f.name == kTorchBin && m_options.convertToSafetensors)
            needed += std::max<qint64>(f.size, 0); // the converted copy
    const QStorageInfo disk(stagingDir());
    if (disk.isValid() && disk.bytesAvailable() >= 0 &&
        disk.bytesAvailable() < needed + kDiskMargin)
        return fail({DownloadFailure::Kind::DiskSpace,
                     QStringLiteral("not enough disk space in %1: the model needs %2 more, %3 "
                                    "free")
                         .arg(stagingDir(), megabytes(needed + kDiskMargin),
                              megabytes(disk.bytesAvailable())),
                     {},
                     0});
    m_progress.bytesTotal = sizesKnown ? total : -1;
    m_progress.bytesDone = present;
    m_current = 0;
    downloadNext();
}

// ---- transferring: GET with Range into <file>.part -------------------------------------------

void ModelDownloader::downloadNext()
{
    while (m_current < m_files.size() && m_files[m_current].done)
        ++m_current;
    if (m_current >= m_files.size())
        return convertAndInstall();
    m_attempt = 0;
    beginTransfer();
}

void ModelDownloader::beginTransfer()
{
    if (m_stopped)
        return;
    const RemoteFile &f = m_files[m_current];
    const QString partPath = stagingPath(f.name + QStringLiteral(".part"));
    const QString sidePath = partPath + QStringLiteral(".json");
    const QJsonObject side = readJson(sidePath);
    qint64 offset = QFileInfo(partPath).size();
    if (!QFileInfo::exists(partPath) || side.value(QStringLiteral("etag")).toString() != f.etag ||
        qint64(side.value(QStringLiteral("size")).toDouble()) != f.size ||
        (f.size >= 0 && offset > f.size)) {
        // Nothing to resume, or the remote file changed since the part was started.
        QFile::remove(partPath);
        offset = 0;
        const QJsonObject record{{QStringLiteral("url"), f.url.toString()},
                                 {QStringLiteral("size"), double(f.size)},
                                 {QStringLiteral("etag"), f.etag},
                                 {QStringLiteral("sha256"), f.sha256}};
        if (!writeJson(sidePath, record))
            return fail({DownloadFailure::Kind::FileSystem,
                         QStringLiteral("cannot write %1").arg(sidePath),
                         {},
                         0});
    }
    if (!m_transfer || m_transfer->name != f.name) {
        m_transfer = std::make_unique<Transfer>();
        m_transfer->name = f.name;
    }
    Transfer &t = *m_transfer;
    t.offset = offset;
    t.received = 0;
    t.statusChecked = false;
    t.rangeIgnored = false;
    t.part.setFileName(partPath);
    if (!t.part.open(QIODevice::ReadWrite) || !t.part.seek(offset))
        return fail({DownloadFailure::Kind::FileSystem,
                     QStringLiteral("cannot open %1: %2").arg(partPath, t.part.errorString()),
                     {},
                     0});
    if (f.sha256.isEmpty() || t.hashed == offset)
        return sendGet();
    // Resuming a part of an earlier run: hash what is there first, off this thread.
    t.hash->reset();
    t.hashed = 0;
    m_progress.phase = DownloadProgress::Phase::Verifying;
    m_progress.file = f.name;
    emitProgress(true);
    auto promise = std::make_shared<QPromise<bool>>();
    QFuture<bool> future = promise->future();
    promise->start();
    QThreadPool::globalInstance()->start([promise, hash = t.hash, partPath, offset] {
        QFile in(partPath);
        bool ok = in.open(QIODevice::ReadOnly);
        for (qint64 left = offset; ok && left > 0;) {
            const QByteArray chunk = in.read(std::min<qint64>(left, 4 << 20));
            ok = !chunk.isEmpty();
            hash->addData(chunk);
            left -= chunk.size();
        }
        promise->addResult(ok);
        promise->finish();
    });
    future.then(this, [this, offset](bool ok) {
        if (m_stopped || !m_transfer)
            return;
        if (!ok)
            return fail({DownloadFailure::Kind::FileSystem,
                         QStringLiteral("cannot read %1").arg(m_transfer->part.fileName()),
                         {},
                         0});
        m_transfer->hashed = offset;
        sendGet();
    });
}

void ModelDownloader::sendGet()
{
    if (m_stopped)
        return;
    const RemoteFile &f = m_files[m_current];
    Transfer &t = *m_transfer;
    QNetworkRequest req = makeRequest(f.url);
    req.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                     QNetworkRequest::NoLessSafeRedirectPolicy);
    if (t.offset > 0)
        req.setRawHeader("Range", "bytes=" + QByteArray::number(t.offset) + '-');
    qCDebug(lcDownload) << "GET" << f.url << "from byte" << t.offset;
    m_progress.phase = DownloadProgress::Phase::Downloading;
    m_progress.file = f.name;
    emitProgress(true);
    QNetworkReply *reply = m_network.get(req);
    m_reply = reply;
    connect(reply, &QNetworkReply::readyRead, this, &ModelDownloader::onReadyRead);
    connect(reply, &QNetworkReply::finished, this, &ModelDownloader::onGetFinished);
}

void ModelDownloader::onReadyRead()
{
    if (m_stopped || !m_reply)
        return;
    Transfer &t = *m_transfer;
    if (!t.statusChecked) {
        const int status = m_reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (status != 200 && status != 206)
            return; // an error body: onGetFinished reports the status
        t.statusChecked = true;
        qint64 start = 0;
        if (status == 206) {
            static const QRegularExpression range(QStringLiteral("bytes\\s+(\\d+)-"));
            const auto m = range.match(QString::fromLatin1(m_reply->rawHeader("Content-Range")));
            start = m.hasMatch() ? m.captured(1).toLongLong() : -1;
        }
        if (start != 0 && start != t.offset) {
            // Some other range: drop this response and start the part over when it ends.
            t.rangeIgnored = true;
        } else if (start != t.offset) {
            // The server sent the whole file: start the part over with it.
            qCInfo(lcDownload) << m_reply->url() << "ignored the byte range; restarting";
            m_progress.bytesDone -= t.offset;
            t.part.resize(0);
            t.part.seek(0);
            t.hash->reset();
            t.hashed = 0;
            t.offset = 0;
        }
    }
    if (t.rangeIgnored) {
        m_reply->readAll();
        return;
    }
    const QByteArray data = m_reply->readAll();
    if (data.isEmpty())
        return;
    if (t.part.write(data) != data.size()) {
        const QString why = t.part.errorString();
        return fail({DownloadFailure::Kind::FileSystem,
                     QStringLiteral("cannot write %1: %2 (disk full?)").arg(t.part.fileName(), why),
                     {},
                     0});
    }
    if (!m_files[m_current].sha256.isEmpty()) {
        t.hash->addData(data);
        t.hashed += data.size();
    }
    t.received += data.size();
    m_progress.bytesDone += data.size();
    m_progress.bytesThisRun += data.size();
    m_attempt = 0; // progress: the retry budget starts over
    emitProgress(false);
}

void ModelDownloader::onGetFinished()
{
    QNetworkReply *reply = m_reply;
    if (!reply)
        return;
    if (!m_stopped && reply->bytesAvailable() > 0)
        onReadyRead(); // the last bytes, if readyRead has not taken them
    reply->deleteLater();
    m_reply = nullptr;
    if (m_stopped)
        return;
    Transfer &t = *m_transfer;
    t.part.flush();
    const RemoteFile &f = m_files[m_current];
    const QString url = reply->url().toString();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QString reason = reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString();
    if (t.rangeIgnored) {
        t.part.close();
        QFile::remove(t.part.fileName());
        t.hash->reset();
        t.hashed = 0;
        return beginTransfer();
    }
    if ((status == 200 || status == 206) && reply->error() == QNetworkReply::NoError &&
        (f.size < 0 || t.part.size() == f.size))
        return finishFile();
    t.part.close();
    if (status == 416) { // our range lies outside the file: it changed; start over
        QFile::remove(t.part.fileName());
        return retryOrFail(Step::Get, {DownloadFailure::Kind::Http,
                                       QStringLiteral("HTTP 416 from %1").arg(url), url, 416});
    }
    if (status == 404)
        return fail({DownloadFailure::Kind::NotFound,
                     QStringLiteral("HTTP 404 Not Found: %1").arg(url), url, 404});
    if (status >= 400 && status < 500 && status != 408 && status != 429)
        return fail({DownloadFailure::Kind::Http,
                     QStringLiteral("HTTP %1 %2 from %3").arg(status).arg(reason, url), url,
                     status});
    if (status >= 400)
        return retryOrFail(Step::Get,
                           {DownloadFailure::Kind::Http,
                            QStringLiteral("HTTP %1 %2 from %3").arg(status).arg(reason, url), url,
                            status});
    if (f.size >= 0 && t.part.size() > f.size) {
        QFile::remove(t.part.fileName());
        return fail({DownloadFailure::Kind::Verification,
                     QStringLiteral("%1 sent more than the %2 bytes announced; the partial file "
                                    "was deleted")
                         .arg(url)
                         .arg(f.size),
                     url, status});
    }
    const QString why = reply->error() == QNetworkReply::NoError
                            ? QStringLiteral("the connection ended early")
                            : reply->errorString();
    retryOrFail(Step::Get, {DownloadFailure::Kind::Network,
                            QStringLiteral("downloading %1 failed after %2 of %3 bytes: %4")
                                .arg(url)
                                .arg(t.part.size())
                                .arg(f.size)
                                .arg(why),
                            url, status});
}

void ModelDownloader::finishFile()
{
    Transfer &t = *m_transfer;
    const RemoteFile &f = m_files[m_current];
    const QString partPath = t.part.fileName();
    const bool synced = t.part.flush() && ::fsync(t.part.handle()) == 0;
    const qint64 size = t.part.size();
    t.part.close();
    auto discard = [&](const QString &why) {
        QFile::remove(partPath);
        QFile::remove(partPath + QStringLiteral(".json"));
        m_transfer.reset();
        fail({DownloadFailure::Kind::Verification, why, f.url.toString(), 0});
    };
    if (!synced)
        return fail({DownloadFailure::Kind::FileSystem,
                     QStringLiteral("cannot write %1 to disk").arg(partPath),
                     {},
                     0});
    if (f.size >= 0 && size != f.size)
        return discard(QStringLiteral("%1: received %2 bytes, the server announced %3; the "
                                      "download was deleted, please try again")
                           .arg(f.name)
                           .arg(size)
                           .arg(f.size));
    QString sha;
    if (!f.sha256.isEmpty()) {
        sha = QString::fromLatin1(t.hash->result().toHex());
        if (sha != f.sha256)
            return discard(QStringLiteral("%1 is corrupted: its sha256 is %2 but the server "
                                          "says %3; the download was deleted, please try again")
                               .arg(f.name, sha, f.sha256));
    }
    const QString finalPath = stagingPath(f.name);
    QFile::remove(finalPath);
    if (!QFile::rename(partPath, finalPath))
        return fail({DownloadFailure::Kind::FileSystem,
                     QStringLiteral("cannot rename %1 to %2").arg(partPath, finalPath),
                     {},
                     0});
    QFile::remove(partPath + QStringLiteral(".json"));
    QJsonObject files = m_state.value(QStringLiteral("files")).toObject();
    files.insert(f.name, QJsonObject{{QStringLiteral("size"), double(size)},
                                     {QStringLiteral("etag"), f.etag},
                                     {QStringLiteral("sha256"), sha}});
    m_state.insert(QStringLiteral("files"), files);
    saveState();
    m_transfer.reset();
    m_files[m_current].done = true;
    qCDebug(lcDownload) << "received" << f.name << size << "bytes";
    Q_EMIT fileFinished(f.name, size, sha);
    ++m_current;
    downloadNext();
}

void ModelDownloader::saveState()
{
    m_state.insert(QStringLiteral("repo"), m_options.repo);
    m_state.insert(QStringLiteral("revision"), m_options.revision);
    writeJson(stagingPath(kStateFile), m_state);
}

void ModelDownloader::retryOrFail(Step step, const DownloadFailure &failure)
{
    if (m_stopped)
        return;
    if (++m_attempt > m_options.maxRetries)
        return fail(failure);
    const int delay =
        int(std::min<double>(m_options.retryDelayMs * std::pow(2.0, m_attempt - 1), 60'000));
    qCWarning(lcDownload).noquote() << failure.message << "- retry" << m_attempt << "of"
                                    << m_options.maxRetries << "in" << delay << "ms";
    m_retryTimer.disconnect();
    connect(&m_retryTimer, &QTimer::timeout, this, [this, step] {
        if (step == Step::Head)
            sendHead(m_files[m_current].url, 0);
        else
            beginTransfer();
    });
    m_retryTimer.start(delay);
}

// ---- installing: convert, validate, rename the folder into place ----------------------------

void ModelDownloader::convertAndInstall()
{
    if (m_weights != kTorchBin || !m_options.convertToSafetensors)
        return install();
    m_progress.phase = DownloadProgress::Phase::Converting;
    m_progress.file = kSafetensors;
    emitProgress(true);
    auto promise = std::make_shared<QPromise<QString>>();
    QFuture<QString> future = promise->future();
    promise->start();
    const std::filesystem::path source = QFile::encodeName(stagingPath(kTorchBin)).toStdString();
    const std::filesystem::path target = QFile::encodeName(stagingPath(kSafetensors)).toStdString();
    QThreadPool::globalInstance()->start([promise, source, target] {
        QString error;
        try {
            flava::convertToSafetensors(source, target);
        } catch (const std::exception &e) {
            error = QString::fromUtf8(e.what());
        }
        promise->addResult(error);
        promise->finish();
    });
    future.then(this, [this](const QString &error) {
        if (m_stopped)
            return;
        if (!error.isEmpty())
            return fail({DownloadFailure::Kind::FileSystem,
                         QStringLiteral("converting the weights failed: %1").arg(error),
                         {},
                         0});
        QJsonObject files = m_state.value(QStringLiteral("files")).toObject();
        if (!m_options.keepOriginal) {
            QFile::remove(stagingPath(kTorchBin));
            files.remove(kTorchBin);
        }
        m_state.insert(QStringLiteral("files"), files);
        m_state.insert(QStringLiteral("converted_from"), kTorchBin);
        install();
    });
}

void ModelDownloader::install()
{
    m_progress.phase = DownloadProgress::Phase::Installing;
    m_progress.file.clear();
    emitProgress(true);
    try {
        ModelStore::validate(stagingDir(), ModelStore::Check::Quick);
    } catch (const std::exception &e) {
        return fail({DownloadFailure::Kind::Invalid,
                     QStringLiteral("the downloaded model does not load: %1")
                         .arg(QString::fromUtf8(e.what())),
                     {},
                     0});
    }
    QJsonArray files;
    const QJsonObject done = m_state.value(QStringLiteral("files")).toObject();
    for (auto it = done.begin(); it != done.end(); ++it) {
        QJsonObject rec = it.value().toObject();
        rec.insert(QStringLiteral("name"), it.key());
        rec.insert(QStringLiteral("url"),
                   fileUrl(m_endpoint, m_options.repo, m_options.revision, it.key()).toString());
        files.append(rec);
    }
    QJsonObject manifest{
        {QStringLiteral("repo"), m_options.repo},
        {QStringLiteral("revision"), m_options.revision},
        {QStringLiteral("endpoint"), m_endpoint},
        {QStringLiteral("installed_at"), QDateTime::currentDateTimeUtc().toString(Qt::ISODate)},
        {QStringLiteral("files"), files}};
    if (m_state.contains(QStringLiteral("converted_from")))
        manifest.insert(QStringLiteral("converted_from"),
                        m_state.value(QStringLiteral("converted_from")));
    if (!writeJson(stagingPath(kManifest), manifest))
        return fail({DownloadFailure::Kind::FileSystem,
                     QStringLiteral("cannot write %1").arg(stagingPath(kManifest)),
                     {},
                     0});
    QFile::remove(stagingPath(kStateFile));
    syncDirectory(stagingDir());

    const QString target = m_options.targetDir;
    QString aside;
    if (QFileInfo::exists(target)) {
        aside =
            target + QStringLiteral(".old-") + QString::number(QDateTime::currentMSecsSinceEpoch());
        if (!QDir().rename(target, aside))
            return fail({DownloadFailure::Kind::FileSystem,
                         QStringLiteral("cannot move the old %1 aside").arg(target),
                         {},
                         0});
    }
    if (!QDir().rename(stagingDir(), target)) {
        if (!aside.isEmpty())
            QDir().rename(aside, target);
        return fail({DownloadFailure::Kind::FileSystem,
                     QStringLiteral("cannot rename %1 to %2").arg(stagingDir(), target),
                     {},
                     0});
    }
    syncDirectory(QFileInfo(target).absolutePath());
    if (!aside.isEmpty())
        QDir(aside).removeRecursively();
    m_running = false;
    m_progress.bytesDone = std::max<qint64>(m_progress.bytesDone, m_progress.bytesTotal);
    emitProgress(true);
    qCDebug(lcDownload) << "installed" << m_options.repo << "into" << target;
    Q_EMIT finished(target);
}

void ModelDownloader::fail(const DownloadFailure &failure)
{
    m_stopped = true;
    m_running = false;
    m_retryTimer.stop();
    if (m_reply)
        m_reply->abort();
    if (m_transfer && m_transfer->part.isOpen())
        m_transfer->part.close();
    QDir().rmdir(stagingDir()); // only when nothing was fetched yet: rmdir needs it empty
    qCDebug(lcDownload).noquote() << failure.message; // the receiver of failed() reports it
    Q_EMIT failed(failure);
}

void ModelDownloader::emitProgress(bool force)
{
    const qint64 now = m_clock.elapsed();
    if (!force && m_lastEmitMs >= 0 && now - m_lastEmitMs < 100)
        return;
    m_lastEmitMs = now;
    m_rateSamples.emplace_back(now, m_progress.bytesThisRun);
    while (m_rateSamples.size() > 2 && now - m_rateSamples.front().first > 5000)
        m_rateSamples.erase(m_rateSamples.begin());
    const auto &[t0, b0] = m_rateSamples.front();
    m_progress.bytesPerSecond =
        now > t0 ? double(m_progress.bytesThisRun - b0) * 1000.0 / double(now - t0) : 0;
    m_progress.etaSeconds =
        m_progress.bytesTotal >= 0 && m_progress.bytesPerSecond > 0
            ? double(m_progress.bytesTotal - m_progress.bytesDone) / m_progress.bytesPerSecond
            : -1;
    Q_EMIT progressChanged(m_progress);
}

} // namespace imago
