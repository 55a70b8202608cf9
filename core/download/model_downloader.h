// model_downloader.h - fetch a FLAVA model folder from the Hugging Face Hub (or a mirror),
// verified, resumable, and never half-installed.
//
// Usage:
//     DownloadOptions o;
//     o.targetDir = ModelStore::defaultModelDir();
//     auto *d = new ModelDownloader(o, parent);
//     connect(d, &ModelDownloader::progressChanged, ...);  // bytes, rate, ETA
//     connect(d, &ModelDownloader::finished, ...);         // the installed folder
//     connect(d, &ModelDownloader::failed, ...);           // DownloadFailure: kind, message, URL
//     d->start();                                          // d->cancel() keeps what it has
//
// Files come from {endpoint}/{repo}/resolve/{revision}/{file}; endpoint is $HF_ENDPOINT or
// https://huggingface.co, proxies come from the environment (http_proxy, https_proxy, no_proxy;
// the constructor turns on QNetworkProxyFactory's system configuration, a process-wide switch).
// Weights: model.safetensors when the revision has it, else pytorch_model.bin (optionally
// converted once to model.safetensors, bit-exact; see safetensors_writer.h).
//
// On disk, everything happens in the staging folder `<targetDir>.partial/`:
//   <file>.part + <file>.part.json   a file in flight and what it must become (URL, size, ETag,
//                                    sha256); resumed with an HTTP Range request if the remote
//                                    still has the same size and ETag, else restarted
//   <file>                           a file fully received, size (and sha256 when the Hub
//                                    reports one: LFS files) verified, fsynced, renamed from .part
//   .imago-download.json             which files are complete, with their remote size/ETag
// When every file is in (and converted), the folder gets `imago-model.json` (source, revision,
// files with size and sha256) and is renamed to `<targetDir>`: a model folder either exists
// complete or not at all. Interrupting (cancel, Ctrl-C, crash, power loss) leaves the staging
// folder; the next start() with the same targetDir continues where it stopped.
//
// Threading: create, start and cancel on one thread with an event loop (the GUI thread is
// fine: network I/O is asynchronous, hashing a resumed part and converting run on the global
// QThreadPool). Signals are emitted on that thread. One start() per object.
#pragma once

#include <QElapsedTimer>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QStringList>
#include <QTimer>
#include <QUrl>

#include <memory>
#include <vector>

class QNetworkReply;

namespace imago {

struct DownloadOptions
{
    QString targetDir; // the model folder to create (required)
    QString repo = QStringLiteral("facebook/flava-full");
    QString revision = QStringLiteral("main");
    QString endpoint;                 // empty: defaultEndpoint()
    bool convertToSafetensors = true; // when only pytorch_model.bin exists
    bool keepOriginal = false;        // keep pytorch_model.bin after converting
    bool replaceExisting = false;     // else an existing targetDir is an error
    int transferTimeoutMs = 60'000;   // no bytes for this long: retry
    int maxRetries = 6;               // consecutive failures without progress
    int retryDelayMs = 1'000;         // first backoff; doubles, capped at 60 s
};

struct DownloadProgress
{
    enum class Phase
    {
        Resolving,
        Downloading,
        Verifying,
        Converting,
        Installing
    };
    Phase phase = Phase::Resolving;
    QString file;              // the file being worked on
    qint64 bytesDone = 0;      // of the whole model, counting what earlier runs left on disk
    qint64 bytesTotal = -1;    // -1 until every file's size is known
    qint64 bytesThisRun = 0;   // received over the network by this start()
    double bytesPerSecond = 0; // over the last few seconds
    double etaSeconds = -1;    // -1: unknown
};

struct DownloadFailure
{
    enum class Kind
    {
        Network,
        Http,
        NotFound,
        Verification,
        DiskSpace,
        FileSystem,
        Invalid,
        Exists
    };
    Kind kind = Kind::Network;
    QString message; // complete sentence for a person: what, which file or URL, what to do
    QString url;     // the request that failed, when one did
    int httpStatus = 0;
};

class ModelDownloader : public QObject
{
    Q_OBJECT
public:
    explicit ModelDownloader(DownloadOptions options, QObject *parent = nullptr);
    ~ModelDownloader() override;

    const DownloadOptions &options() const { return m_options; }
    bool isRunning() const { return m_running; }
    QString stagingDir() const { return m_options.targetDir + QStringLiteral(".partial"); }

    // $HF_ENDPOINT without a trailing slash, else https://huggingface.co.
    static QString defaultEndpoint();
    static QUrl fileUrl(const QString &endpoint, const QString &repo, const QString &revision,
                        const QString &file);

public Q_SLOTS:
    void start();
    // Stops transfers and timers; the staging folder stays resumable. Emits canceled().
    void cancel();

Q_SIGNALS:
    void progressChanged(const imago::DownloadProgress &progress);
    void fileFinished(const QString &file, qint64 size, const QString &sha256);
    void finished(const QString &modelDir);
    void failed(const imago::DownloadFailure &failure);
    void canceled();

private:
    struct RemoteFile
    {
        QString name;
        QUrl url;
        qint64 size = -1;
        QString etag;   // as the Hub reports it, unquoted
        QString sha256; // lowercase hex when the Hub reports one (LFS files), else empty
        bool required = true;
        bool done = false;
        qint64 onDisk = 0; // bytes present before this run's transfer of it
    };
    enum class Step
    {
        Head,
        Get
    };

    void resolveNext();
    void sendHead(const QUrl &url, int hops);
    void onHeadFinished(QNetworkReply *reply, int hops);
    void afterResolve();
    void downloadNext();
    void beginTransfer();
    void sendGet();
    void onReadyRead();
    void onGetFinished();
    void finishFile();
    void convertAndInstall();
    void install();
    void retryOrFail(Step step, const DownloadFailure &failure);
    void fail(const DownloadFailure &failure);
    void emitProgress(bool force);
    QNetworkRequest makeRequest(const QUrl &url) const;
    QString stagingPath(const QString &name) const;
    void saveState();
    bool writePart(const char *data, qint64 n);

    DownloadOptions m_options;
    QString m_endpoint;
    QNetworkAccessManager m_network;
    QPointer<QNetworkReply> m_reply;
    QTimer m_retryTimer;
    QJsonObject m_state; // .imago-download.json: {"files": {name: {size, etag, sha256}}}
    std::vector<RemoteFile> m_files;
    std::size_t m_current = 0;
    int m_attempt = 0;
    bool m_running = false;
    bool m_stopped = false;
    QString m_weights; // the weights file being fetched

    struct Transfer;
    std::unique_ptr<Transfer> m_transfer;

    DownloadProgress m_progress;
    QElapsedTimer m_clock;
    qint64 m_lastEmitMs = -1;
    std::vector<std::pair<qint64, qint64>> m_rateSamples; // (ms, bytesThisRun)
};

} // namespace imago

Q_DECLARE_METATYPE(imago::DownloadProgress)
Q_DECLARE_METATYPE(imago::DownloadFailure)
