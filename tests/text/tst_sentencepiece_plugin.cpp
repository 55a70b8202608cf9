// tst_sentencepiece_plugin.cpp - the SentencePiece plugin in a process that links LibTorch.
//
// Regression test for the crash before main(): Debian's libsentencepiece exports the
// protobuf-lite it bundles, and an executable that linked it and LibTorch (libprotobuf.so.32)
// died in libprotobuf's static initialisers. This executable links LibTorch and imago_model
// and must NOT link libsentencepiece (tests/text/CMakeLists.txt): the tokenizer reaches it only
// through the plugin, which must load lazily, stay out of the global symbol scope, and encode
// exactly like sentencepiece's own spm_encode (tests/data/text/tiny_unigram.json).
//
// The slots run in declaration order on purpose: the first ones check that nothing loaded the
// plugin yet, and a loaded plugin is kept for the rest of the process.
#include "flava_model.h"
#include "sentencepiece_plugin_loader.h"
#include "sentencepiece_tokenizer.h"
#include "tokenizer.h"
#include "wordpiece_tokenizer.h"

#include <ATen/ATen.h>

#include <QCoreApplication>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStringList>
#include <QTemporaryDir>
#include <QTest>

#include <dlfcn.h>
#include <link.h>

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <thread>

using namespace imago;

namespace {

const QString kToyDir = QStringLiteral(IMAGO_SHARED_DIR "/flava-toy");
const QString kDataDir = QStringLiteral(IMAGO_TEXT_DATA_DIR);
const QString kTinyModel = kDataDir + QStringLiteral("/tiny_unigram.model");

// A protobuf function both libprotobuf.so.32 and libsentencepiece.so.0 define and export:
// the one the crash went through.
constexpr char kSharedProtobufSymbol[] =
    "_ZN6google8protobuf11MessageLite13MergeFromImplEPNS0_2io16CodedInputStreamENS1_10ParseFlagsE";

// True when a shared object whose file name contains `name` is mapped into this process.
bool isLoaded(const char *name)
{
    struct Search
    {
        const char *name;
        bool found;
    } search{name, false};
    dl_iterate_phdr(
        [](dl_phdr_info *info, size_t, void *data) {
            auto *s = static_cast<Search *>(data);
            if (info->dlpi_name && std::strstr(info->dlpi_name, s->name))
                s->found = true;
            return 0;
        },
        &search);
    return search.found;
}

// The file of the object that defines `symbol` in the global scope, or "" when none does.
QString globalDefinerOf(const char *symbol)
{
    void *address = dlsym(RTLD_DEFAULT, symbol);
    Dl_info info{};
    if (!address || !dladdr(address, &info) || !info.dli_fname)
        return {};
    return QString::fromLocal8Bit(info.dli_fname);
}

QStringList toStringList(const std::vector<std::string> &v)
{
    QStringList out;
    for (const std::string &s : v)
        out.append(QString::fromStdString(s));
    return out;
}

bool writeFile(const QString &path, const QByteArray &contents)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(contents) == contents.size();
}

// Sets an environment variable for one scope.
class ScopedEnv
{
public:
    ScopedEnv(const char *name, const QByteArray &value) : m_name(name), m_old(qgetenv(name))
    {
        m_had = qEnvironmentVariableIsSet(name);
        qputenv(name, value);
    }
    ~ScopedEnv()
    {
        if (m_had)
            qputenv(m_name, m_old);
        else
            qunsetenv(m_name);
    }
    ScopedEnv(const ScopedEnv &) = delete;
    ScopedEnv &operator=(const ScopedEnv &) = delete;

private:
    const char *m_name;
    QByteArray m_old;
    bool m_had = false;
};

} // namespace

class tst_SentencePiecePlugin : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void wordPieceBesideTorchLoadsNoPlugin();
    void searchOrder();
    void unavailablePluginIsReported_data();
    void unavailablePluginIsReported();
    void concurrentFirstUse();
    void encodesBesideTorch_data();
    void encodesBesideTorch();
    void staysOutOfTheGlobalScope();
    void corruptModelIsReported();

private:
    QTemporaryDir m_modelDir; // tiny_unigram.model as a model folder's spiece.model
    QJsonArray m_cases;
};

void tst_SentencePiecePlugin::initTestCase()
{
    // Sanitizer runtimes abort on dlopen(RTLD_DEEPBIND); the loader refuses to call it there.
    for (const char *runtime : {"__asan_init", "__hwasan_init", "__tsan_init", "__msan_init"})
        if (dlsym(RTLD_DEFAULT, runtime))
            QSKIP("the SentencePiece plugin cannot be loaded under a sanitizer");
    // LibTorch is linked and working, and it brought libprotobuf along: the crash's setting.
    QCOMPARE(at::ones({2}).sum().item<float>(), 2.0f);
    QVERIFY2(isLoaded("libprotobuf.so"), "LibTorch no longer loads libprotobuf: this test no "
                                         "longer reproduces the setting of the crash");
    QVERIFY2(!isLoaded("libsentencepiece"), "this executable must not link libsentencepiece");
    QVERIFY(!isLoaded("imago_sentencepiece"));

    QVERIFY(m_modelDir.isValid());
    QVERIFY2(QFile::copy(kTinyModel, m_modelDir.filePath("spiece.model")), qPrintable(kTinyModel));
    QFile golden(kDataDir + QStringLiteral("/tiny_unigram.json"));
    QVERIFY2(golden.open(QIODevice::ReadOnly), qPrintable(golden.fileName()));
    m_cases = QJsonDocument::fromJson(golden.readAll()).object().value(u"cases").toArray();
    QVERIFY(!m_cases.isEmpty());
}

// What the app does with FLAVA: a model and its WordPiece tokenizer. No plugin may load.
void tst_SentencePiecePlugin::wordPieceBesideTorchLoadsNoPlugin()
{
    flava::ModelOptions options;
    options.threads = 1;
    const auto model = flava::FlavaModel::load(kToyDir.toStdString(), options);
    const auto tokenizer = Tokenizer::fromModelFolder(kToyDir.toStdString(),
                                                      model->config().text.maxPositionEmbeddings);
    QVERIFY(dynamic_cast<const WordPieceTokenizer *>(tokenizer.get()));
    const std::vector<float> embedding =
        model->embedTexts({tokenizer->encode("a red circle on a pink background").ids});
    QCOMPARE(embedding.size(), std::size_t(model->embeddingDim()));
    double norm = 0;
    for (const float v : embedding)
        norm += double(v) * v;
    QVERIFY2(std::abs(std::sqrt(norm) - 1.0) < 1e-4, qPrintable(QString::number(norm)));

    QVERIFY(!isLoaded("imago_sentencepiece"));
    QVERIFY(!isLoaded("libsentencepiece"));
}

void tst_SentencePiecePlugin::searchOrder()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const ScopedEnv env("IMAGO_PLUGIN_DIR", dir.path().toLocal8Bit());
    const std::vector<std::filesystem::path> dirs = sentencePiecePluginDirs();
    QVERIFY(dirs.size() >= 2);
    QCOMPARE(QString::fromStdString(dirs[0].string()), dir.path());
    // Next to the executable as installed: bin/../lib/imago/plugins; here
    // build/tests/../lib/imago/plugins.
    const QString besideExe = QCoreApplication::applicationDirPath() + "/../lib/imago/plugins";
    QCOMPARE(QString::fromStdString(dirs[1].string()),
             QString::fromStdString(
                 std::filesystem::path(besideExe.toStdString()).lexically_normal().string()));
}

void tst_SentencePiecePlugin::unavailablePluginIsReported_data()
{
    QTest::addColumn<QByteArray>("pluginContents"); // empty: a copy of `otherLibrary`
    QTest::addColumn<QString>("otherLibrary");
    QTest::addColumn<QString>("expectedReason");

    QTest::newRow("not_a_shared_object")
        << QByteArray("garbage, not ELF ").repeated(64) << QString() << "invalid ELF header";
    QTest::newRow("empty_file") << QByteArray(1, '\0') << QString() << "file too short";
    // A real library, but not the plugin: dlopen() works, the factory is missing.
    QTest::newRow("wrong_library") << QByteArray() << "/lib/x86_64-linux-gnu/libz.so.1"
                                   << "imago_sentencepiece_open_v1";
}

// A plugin that is there but will not load: fromModelFolder names the model and says why,
// with dlerror()'s words.
void tst_SentencePiecePlugin::unavailablePluginIsReported()
{
    QFETCH(QByteArray, pluginContents);
    QFETCH(QString, otherLibrary);
    QFETCH(QString, expectedReason);

    QTemporaryDir pluginDir;
    QVERIFY(pluginDir.isValid());
    const QString plugin = pluginDir.filePath(IMAGO_SENTENCEPIECE_PLUGIN_NAME);
    if (otherLibrary.isEmpty()) {
        QVERIFY(writeFile(plugin, pluginContents));
    } else {
        if (!QFile::exists(otherLibrary))
            QSKIP("no library to stand in for a wrong plugin");
        QVERIFY(QFile::copy(otherLibrary, plugin));
    }
    const ScopedEnv env("IMAGO_PLUGIN_DIR", pluginDir.path().toLocal8Bit());
    try {
        Tokenizer::fromModelFolder(m_modelDir.path().toStdString(), 512);
        QFAIL("a SentencePiece tokenizer was built without its plugin");
    } catch (const std::runtime_error &e) {
        const QString message = QString::fromUtf8(e.what());
        QVERIFY2(message.contains(m_modelDir.filePath("spiece.model")), e.what());
        QVERIFY2(message.contains(u"SentencePiece support is unavailable"), e.what());
        QVERIFY2(message.contains(plugin), e.what());
        QVERIFY2(message.contains(expectedReason), e.what());
    }
    QVERIFY(!isLoaded("libsentencepiece"));
}

// The first SentencePiece tokenizers of the process, built on several threads at once: the
// plugin loads once and every thread gets the same ids.
void tst_SentencePiecePlugin::concurrentFirstUse()
{
    QVERIFY(!isLoaded("imago_sentencepiece"));
    const std::string text = "a photo of a red circle on a pink background";
    constexpr int kThreads = 4;
    std::vector<std::vector<std::int64_t>> ids(kThreads);
    std::vector<std::string> errors(kThreads);
    std::vector<std::thread> threads;
    for (int k = 0; k < kThreads; ++k) {
        threads.emplace_back([&, k] {
            try {
                ids[k] = Tokenizer::fromModelFolder(m_modelDir.path().toStdString(), 512)
                             ->encode(text)
                             .ids;
            } catch (const std::exception &e) {
                errors[k] = e.what();
            }
        });
    }
    for (std::thread &t : threads)
        t.join();
    QCOMPARE(errors, std::vector<std::string>(kThreads));
    QCOMPARE(ids[0].size(), std::size_t(27)); // <s>, 25 pieces, </s>
    QCOMPARE(ids, std::vector<std::vector<std::int64_t>>(kThreads, ids[0]));
}

void tst_SentencePiecePlugin::encodesBesideTorch_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QList<qint64>>("modelIds"); // spm_encode's, without <s> and </s>
    QTest::addColumn<QStringList>("modelPieces");
    for (const QJsonValue &v : m_cases) {
        const QJsonObject c = v.toObject();
        QList<qint64> ids;
        for (const QJsonValue &id : c.value(u"ids").toArray())
            ids.append(id.toInteger());
        QStringList pieces;
        for (const QJsonValue &p : c.value(u"pieces").toArray())
            pieces.append(p.toString());
        QTest::newRow(qPrintable(c.value(u"name").toString()))
            << c.value(u"text").toString() << ids << pieces;
    }
}

void tst_SentencePiecePlugin::encodesBesideTorch()
{
    QFETCH(QString, text);
    QFETCH(QList<qint64>, modelIds);
    QFETCH(QStringList, modelPieces);

    const auto tokenizer = Tokenizer::fromModelFolder(m_modelDir.path().toStdString(), 512);
    const auto *sp = dynamic_cast<const SentencePieceTokenizer *>(tokenizer.get());
    QVERIFY(sp);
    QCOMPARE(sp->startId(), std::int64_t(1)); // the model's <s>
    QCOMPARE(sp->endId(), std::int64_t(2));   // </s>
    QCOMPARE(sp->unkId(), std::int64_t(0));

    const TokenizedText t = tokenizer->encode(text.toStdString());
    QList<qint64> expectedIds{1};
    expectedIds += modelIds;
    expectedIds.append(2);
    QCOMPARE(QList<qint64>(t.ids.begin(), t.ids.end()), expectedIds);
    // spm_encode prints an unknown piece's input text; the tokenizer names the piece.
    QStringList expectedTokens{QStringLiteral("<s>")};
    QStringList expectedUnknown;
    for (qsizetype i = 0; i < modelPieces.size(); ++i) {
        const bool unknown = modelIds[i] == 0;
        expectedTokens.append(unknown ? QStringLiteral("<unk>") : modelPieces[i]);
        if (unknown && !expectedUnknown.contains(modelPieces[i]))
            expectedUnknown.append(modelPieces[i]);
    }
    expectedTokens.append(QStringLiteral("</s>"));
    QCOMPARE(toStringList(t.tokens), expectedTokens);
    QCOMPARE(toStringList(t.unknownWords), expectedUnknown);

    // And LibTorch still works with sentencepiece's protobuf in the process.
    QCOMPARE(at::ones({3}).sum().item<float>(), 3.0f);
}

// The plugin and libsentencepiece are loaded now, but invisible to symbol lookup: the global
// scope still resolves protobuf to libprotobuf, as LibTorch needs.
void tst_SentencePiecePlugin::staysOutOfTheGlobalScope()
{
    const auto tokenizer = Tokenizer::fromModelFolder(m_modelDir.path().toStdString(), 512);
    QCOMPARE(tokenizer->encode("a red circle").ids.size(), std::size_t(7));
    QVERIFY(isLoaded("imago_sentencepiece"));
    QVERIFY(isLoaded("libsentencepiece"));
    QVERIFY(!dlsym(RTLD_DEFAULT, "imago_sentencepiece_open_v1"));
    QVERIFY(!dlsym(RTLD_DEFAULT, "_ZN13sentencepiece22SentencePieceProcessorC1Ev"));
    const QString definer = globalDefinerOf(kSharedProtobufSymbol);
    QVERIFY2(definer.contains(u"libprotobuf.so"), qPrintable(definer));
}

void tst_SentencePiecePlugin::corruptModelIsReported()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QVERIFY(writeFile(dir.filePath("tokenizer.model"), "\x0a\x05garbage"));
    try {
        Tokenizer::fromModelFolder(dir.path().toStdString(), 512);
        QFAIL("a corrupt model was accepted");
    } catch (const std::runtime_error &e) {
        const QString message = QString::fromUtf8(e.what());
        QVERIFY2(message.contains(dir.filePath("tokenizer.model")), e.what());
        QVERIFY2(message.contains(u"cannot load the SentencePiece model"), e.what());
    }
}

QTEST_GUILESS_MAIN(tst_SentencePiecePlugin)
#include "tst_sentencepiece_plugin.moc"
