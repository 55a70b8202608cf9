// Checkpoint readers: both real formats load identically; hostile and broken files are refused
// with an error naming the file and the problem; missing or mis-shaped tensors are named.
#include "checkpoint.h"
#include "checkpoint_error.h"
#include "checkpoint_writer.h"
#include "flava_model.h"
#include "tensor_compare.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace imago;
using namespace imago::flava;

namespace {
const QString kRef = QStringLiteral(IMAGO_SHARED_DIR "/flava-reference");

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// Serialises tensors to safetensors, optionally converting floats to F16.
QByteArray toSafetensors(const std::map<std::string, at::Tensor> &tensors, bool half = false)
{
    QJsonObject header;
    QByteArray data;
    for (const auto &[name, t0] : tensors) {
        at::Tensor t = t0.contiguous();
        QString dtype = QStringLiteral("I64");
        if (t.is_floating_point()) {
            t = t.to(half ? at::kHalf : at::kFloat).contiguous();
            dtype = half ? QStringLiteral("F16") : QStringLiteral("F32");
        }
        QJsonArray shape;
        for (auto s : t.sizes())
            shape.append(qint64(s));
        const qint64 begin = data.size();
        data.append(static_cast<const char *>(t.data_ptr()), qsizetype(t.nbytes()));
        header.insert(
            QString::fromStdString(name),
            QJsonObject{{QStringLiteral("dtype"), dtype},
                        {QStringLiteral("shape"), shape},
                        {QStringLiteral("data_offsets"), QJsonArray{begin, qint64(data.size())}}});
    }
    return test::safetensorsBytes(QJsonDocument(header).toJson(QJsonDocument::Compact), data);
}

template<std::size_t N> QByteArray bytesOf(const char (&s)[N])
{
    return QByteArray(s, N - 1);
}

QString errorOf(const std::function<void()> &f)
{
    try {
        f();
    } catch (const CheckpointError &e) {
        return QString::fromUtf8(e.what());
    }
    return QStringLiteral("<no error>");
}
} // namespace

class tst_Checkpoint : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void bothFormatsHoldTheSameTensors()
    {
        const auto st = test::loadTensors((kRef + "/model.safetensors").toStdString());
        const auto bin = test::loadTensors((kRef + "/pytorch_model.bin").toStdString());
        QCOMPARE(st.size(), std::size_t(203));
        QCOMPARE(bin.size(), st.size());
        for (const auto &[name, t] : st) {
            const auto it = bin.find(name);
            QVERIFY2(it != bin.end(), name.c_str());
            QVERIFY2(at::equal(it->second, t), name.c_str());
        }
        QCOMPARE(st.at("flava.logit_scale").dim(), 0);
    }

    void weightsFilePrefersSafetensors()
    {
        QCOMPARE(QString::fromStdString(Checkpoint::weightsFile(kRef.toStdString()).filename()),
                 QStringLiteral("model.safetensors"));
        QTemporaryDir dir;
        QVERIFY(QFile::copy(kRef + "/pytorch_model.bin", dir.filePath("pytorch_model.bin")));
        QCOMPARE(
            QString::fromStdString(Checkpoint::weightsFile(dir.path().toStdString()).filename()),
            QStringLiteral("pytorch_model.bin"));
        QTemporaryDir empty;
        QVERIFY(errorOf([&] {
                    Checkpoint::weightsFile(empty.path().toStdString());
                }).contains(QStringLiteral("no weights")));
    }

    void hostileFilesAreRefused_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("expected");
        using test::safetensorsBytes;
        QTest::newRow("empty file") << QByteArray() << "shorter than the 8-byte header length";
        QTest::newRow("header length past the end")
            << safetensorsBytes("{}", {}, 100) << "truncated: header says 100 bytes";
        QTest::newRow("giant header length")
            << safetensorsBytes("{}", {}, 1ull << 62) << "implausibly large";
        QTest::newRow("header not json") << safetensorsBytes("{nope", {}) << "not a JSON object";
        QTest::newRow("header a list") << safetensorsBytes("[1,2]", {}) << "not a JSON object";
        QTest::newRow("offsets past the end")
            << safetensorsBytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                                QByteArray(4, 0))
            << "lie outside the 4-byte data section";
        QTest::newRow("byte count differs from shape")
            << safetensorsBytes(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})",
                                QByteArray(8, 0))
            << "holds 8 bytes but its shape and dtype need 12";
        QTest::newRow("overlapping tensors")
            << safetensorsBytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                                QByteArray(12, 0))
            << "overlap";
        QTest::newRow("negative dimension")
            << safetensorsBytes(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}})", {})
            << "negative";
        QTest::newRow("unknown dtype")
            << safetensorsBytes(R"({"a":{"dtype":"F7","shape":[1],"data_offsets":[0,1]}})",
                                QByteArray(1, 0))
            << "unsupported dtype F7";
        QTest::newRow("shape overflows")
            << safetensorsBytes(
                   R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,4]}})",
                   QByteArray(4, 0))
            << "too large";
        QTest::newRow("missing data_offsets")
            << safetensorsBytes(R"({"a":{"dtype":"F32","shape":[1]}})", QByteArray(4, 0))
            << "data_offsets must be";
        const QByteArray real = readAll(kRef + "/model.safetensors");
        QTest::newRow("truncated real file") << real.left(real.size() / 2) << "lie outside";
        const QByteArray bin = readAll(kRef + "/pytorch_model.bin");
        QTest::newRow("truncated torch zip") << bin.left(bin.size() / 2) << "zip";

        auto pickleZip = [](const QByteArray &pickle,
                            std::vector<std::pair<std::string, QByteArray>> more = {}) {
            more.insert(more.begin(), {"archive/data.pkl", pickle});
            return test::storedZip(more);
        };
        QTest::newRow("pickle calls os.system")
            << pickleZip(bytesOf("\x80\x02"
                                 "cos\nsystem\nq\x00X\x02\x00\x00\x00lsq\x01\x85q\x02R."))
            << "global 'os.system' is not allowed";
        QTest::newRow("pickle STACK_GLOBAL builtins.eval")
            << pickleZip(bytesOf("\x80\x04\x8c\x08"
                                 "builtins\x8c\x04"
                                 "eval\x93."))
            << "global 'builtins.eval' is not allowed";
        QTest::newRow("pickle unknown opcode")
            << pickleZip(bytesOf("\x80\x02}Z.")) << "opcode 0x5a is not allowed";
        QTest::newRow("pickle truncated") << pickleZip(bytesOf("\x80\x02}X\xff\x00\x00\x00"
                                                               "ab"))
                                          << "runs past the end";
        QTest::newRow("pickle not a dict")
            << pickleZip(bytesOf("\x80\x02K\x05.")) << "pickle holds a int";
        QTest::newRow("pickle memo miss")
            << pickleZip(bytesOf("\x80\x02h\x07.")) << "memo key 7 was never stored";
        // OrderedDict {"w": tensor(storage of 2 floats, size (4,), stride (1,))}
        const QByteArray pastStorage = bytesOf("\x80\x02"
                                               "ccollections\nOrderedDict\n)R"
                                               "X\x01\x00\x00\x00w"
                                               "ctorch._utils\n_rebuild_tensor_v2\n"
                                               "((X\x07\x00\x00\x00storage"
                                               "ctorch\nFloatStorage\nX\x01\x00\x00\x00"
                                               "0"
                                               "X\x03\x00\x00\x00"
                                               "cpuK\x02tQ"
                                               "K\x00K\x04\x85K\x01\x85\x89}tR"
                                               "s.");
        QTest::newRow("tensor view past its storage")
            << pickleZip(pastStorage, {{"archive/data/0", QByteArray(8, 0)}})
            << "reaches past its storage";
        QTest::newRow("storage file missing")
            << pickleZip(pastStorage) << "no entry 'archive/data/0'";
        QTest::newRow("zip without data.pkl")
            << test::storedZip({{"x/other", "abc"}}) << "no <name>/data.pkl";
    }

    void hostileFilesAreRefused()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("weights.bin"));
        QVERIFY(test::writeFile(path, bytes));
        const QString error = errorOf([&] { Checkpoint ck(path.toStdString()); });
        QVERIFY2(error.contains(expected), qPrintable(error));
        QVERIFY2(error.startsWith(path), qPrintable(error)); // names the file
    }

    void missingTensorIsNamed_data()
    {
        QTest::addColumn<QString>("tensor");
        QTest::newRow("text encoder")
            << QStringLiteral("flava.text_model.encoder.layer.1.output.dense.weight");
        // The image encoder loads on first use, but a broken checkpoint is refused at load().
        QTest::newRow("image encoder, loaded later")
            << QStringLiteral("flava.image_model.encoder.layer.0.intermediate.dense.bias");
    }

    void missingTensorIsNamed()
    {
        QFETCH(QString, tensor);
        QTemporaryDir dir;
        auto tensors = test::loadTensors((kRef + "/model.safetensors").toStdString());
        QVERIFY(tensors.erase(tensor.toStdString()) == 1);
        QVERIFY(test::writeFile(dir.filePath("model.safetensors"), toSafetensors(tensors)));
        QVERIFY(QFile::copy(kRef + "/config.json", dir.filePath("config.json")));
        const QString error = errorOf([&] { FlavaModel::load(dir.path().toStdString()); });
        QVERIFY2(error.contains(QStringLiteral("missing tensor '%1'").arg(tensor)),
                 qPrintable(error));
    }

    void misShapedTensorIsNamed()
    {
        QTemporaryDir dir;
        QJsonObject cfg = QJsonDocument::fromJson(readAll(kRef + "/config.json")).object();
        for (const char *key : {"text_config", "text_config_dict"}) {
            QJsonObject text = cfg.value(QLatin1String(key)).toObject();
            text.insert(QStringLiteral("vocab_size"), 999);
            cfg.insert(QLatin1String(key), text);
        }
        QVERIFY(test::writeFile(dir.filePath("config.json"), QJsonDocument(cfg).toJson()));
        QVERIFY(QFile::link(kRef + "/model.safetensors", dir.filePath("model.safetensors")));
        const QString error = errorOf([&] { FlavaModel::load(dir.path().toStdString()); });
        QVERIFY2(error.contains("'flava.text_model.embeddings.word_embeddings.weight' has shape "
                                "[1000, 32] but the config needs [999, 32]"),
                 qPrintable(error));
    }

    void halfPrecisionWeightsLoad()
    {
        QTemporaryDir dir;
        const auto tensors = test::loadTensors((kRef + "/model.safetensors").toStdString());
        QVERIFY(test::writeFile(dir.filePath("model.safetensors"), toSafetensors(tensors, true)));
        QVERIFY(QFile::copy(kRef + "/config.json", dir.filePath("config.json")));
        const auto half = FlavaModel::load(dir.path().toStdString(), {Device::Cpu, 1});
        const auto full = FlavaModel::load(kRef.toStdString(), {Device::Cpu, 1});
        const std::vector<std::int64_t> ids{101, 200, 300, 102};
        const auto a = half->embedTexts({ids}), b = full->embedTexts({ids});
        double diff = 0;
        for (std::size_t i = 0; i < a.size(); ++i)
            diff = std::max(diff, double(std::abs(a[i] - b[i])));
        QVERIFY2(diff > 0 && diff < 2e-2, qPrintable(QString::number(diff)));
    }
};

QTEST_GUILESS_MAIN(tst_Checkpoint)
#include "tst_checkpoint.moc"
