// tst_tokenizer_factory.cpp - Tokenizer::fromModelFolder (which tokenizer, which settings) and
// the padToLength batching helper.
#include "sentencepiece_tokenizer.h"
#include "tokenizer.h"
#include "wordpiece_tokenizer.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStringList>
#include <QTemporaryDir>
#include <QTest>

#include <stdexcept>

using namespace imago;

namespace {

const QString kSharedDir = QStringLiteral(IMAGO_SHARED_DIR);
const QString kReferenceDir = kSharedDir + QStringLiteral("/flava-reference");
const QString kToyDir = kSharedDir + QStringLiteral("/flava-toy");

// What the app passes as maxPositions: text_config.max_position_embeddings of config.json.
int maxPositionsOf(const QString &modelDir)
{
    QFile f(modelDir + QStringLiteral("/config.json"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QJsonObject text =
        QJsonDocument::fromJson(f.readAll()).object().value(u"text_config").toObject();
    return text.value(u"max_position_embeddings").toInt(-1);
}

bool writeFile(const QString &path, const QByteArray &contents)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(contents) == contents.size();
}

QString tokensOf(const Tokenizer &tokenizer, const char *text)
{
    QStringList out;
    for (const std::string &t : tokenizer.encode(text).tokens)
        out.append(QString::fromStdString(t));
    return out.join(u' ');
}

} // namespace

class tst_TokenizerFactory : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void sharedModelFolders_data();
    void sharedModelFolders();

    void maxLengthFromConfig_data();
    void maxLengthFromConfig();

    void wordPieceSettingsFromConfig_data();
    void wordPieceSettingsFromConfig();

    void vocabTxtWinsOverSentencePiece();

    void folderErrors_data();
    void folderErrors();
    void invalidMaxPositions();

    void padToLength_data();
    void padToLength();
    void padToLengthRejectsLongInput();
};

void tst_TokenizerFactory::sharedModelFolders_data()
{
    QTest::addColumn<QString>("dir");
    QTest::addColumn<int>("maxPositions");
    QTest::addColumn<int>("expectedMaxLength");
    QTest::addColumn<qint64>("expectedClsId");

    // flava-toy: tokenizer_config.json says 32 = its max_position_embeddings.
    QTest::newRow("toy_as_the_app_calls_it") << kToyDir << maxPositionsOf(kToyDir) << 32 << 2LL;
    QTest::newRow("toy_config_below_positions") << kToyDir << 512 << 32 << 2LL;
    QTest::newRow("toy_clamped_to_positions") << kToyDir << 16 << 16 << 2LL;
    // flava-reference has no tokenizer_config.json: FLAVA's 77, clamped to its 64 positions
    // (a longer query would index past the position embeddings).
    QTest::newRow("reference_as_the_app_calls_it")
        << kReferenceDir << maxPositionsOf(kReferenceDir) << 64 << 101LL;
    QTest::newRow("reference_flava_full_positions") << kReferenceDir << 512 << 77 << 101LL;
}

void tst_TokenizerFactory::sharedModelFolders()
{
    QFETCH(QString, dir);
    QFETCH(int, maxPositions);
    QFETCH(int, expectedMaxLength);
    QFETCH(qint64, expectedClsId);

    QVERIFY2(maxPositions > 0, "config.json has no text_config.max_position_embeddings");
    const auto tokenizer = Tokenizer::fromModelFolder(dir.toStdString(), maxPositions);
    QVERIFY(dynamic_cast<const WordPieceTokenizer *>(tokenizer.get()));
    QCOMPARE(tokenizer->maxLength(), expectedMaxLength);
    QCOMPARE(tokenizer->padId(), std::int64_t(0));

    std::string longQuery;
    for (int i = 0; i < 100; ++i)
        longQuery += "a ";
    const TokenizedText t = tokenizer->encode(longQuery);
    QCOMPARE(t.ids.size(), std::size_t(expectedMaxLength));
    QCOMPARE(t.ids.front(), expectedClsId);
}

void tst_TokenizerFactory::maxLengthFromConfig_data()
{
    QTest::addColumn<QByteArray>("config"); // tokenizer_config.json; empty: no file
    QTest::addColumn<int>("maxPositions");
    QTest::addColumn<int>("expectedMaxLength");

    QTest::newRow("no_config_default_77") << QByteArray() << 512 << 77;
    QTest::newRow("no_config_clamped") << QByteArray() << 40 << 40;
    QTest::newRow("config_16") << QByteArray(R"({"model_max_length": 16})") << 512 << 16;
    QTest::newRow("config_128_clamped") << QByteArray(R"({"model_max_length": 128})") << 64 << 64;
    QTest::newRow("config_without_the_key")
        << QByteArray(R"({"do_lower_case": true})") << 512 << 77;
    // transformers writes int(1e30) when a checkpoint sets no limit.
    QTest::newRow("hf_no_limit_placeholder")
        << QByteArray(R"({"model_max_length": 1000000000000000019884624838656})") << 512 << 77;
    QTest::newRow("fractional") << QByteArray(R"({"model_max_length": 20.5})") << 512 << 77;
    QTest::newRow("string") << QByteArray(R"({"model_max_length": "20"})") << 512 << 77;
    QTest::newRow("too_small") << QByteArray(R"({"model_max_length": 1})") << 512 << 77;
    QTest::newRow("negative") << QByteArray(R"({"model_max_length": -5})") << 512 << 77;
    QTest::newRow("null") << QByteArray(R"({"model_max_length": null})") << 512 << 77;
    QTest::newRow("smallest") << QByteArray(R"({"model_max_length": 2})") << 512 << 2;
}

void tst_TokenizerFactory::maxLengthFromConfig()
{
    QFETCH(QByteArray, config);
    QFETCH(int, maxPositions);
    QFETCH(int, expectedMaxLength);

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QVERIFY(QFile::copy(kToyDir + QStringLiteral("/vocab.txt"), dir.filePath("vocab.txt")));
    if (!config.isEmpty())
        QVERIFY(writeFile(dir.filePath("tokenizer_config.json"), config));
    const auto tokenizer = Tokenizer::fromModelFolder(dir.path().toStdString(), maxPositions);
    QCOMPARE(tokenizer->maxLength(), expectedMaxLength);
}

void tst_TokenizerFactory::wordPieceSettingsFromConfig_data()
{
    QTest::addColumn<QByteArray>("vocabExtra"); // lines appended to the toy vocabulary
    QTest::addColumn<QByteArray>("config");
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expectedTokens");

    QTest::newRow("lower_case_by_default") << QByteArray() << QByteArray("{}") << "Red Circle"
                                           << "[CLS] red circle [SEP]";
    QTest::newRow("do_lower_case_false")
        << QByteArray() << QByteArray(R"({"do_lower_case": false})") << "Red circle"
        << "[CLS] [UNK] circle [SEP]";
    // HF: strip_accents null follows do_lower_case; an explicit false keeps the accents.
    QTest::newRow("accents_stripped_by_default")
        << QByteArray("cafe\ncaf\xc3\xa9\n") << QByteArray("{}") << "caf\u00e9"
        << "[CLS] cafe [SEP]";
    QTest::newRow("strip_accents_false") << QByteArray("cafe\ncaf\xc3\xa9\n")
                                         << QByteArray(R"({"strip_accents": false})") << "caf\u00e9"
                                         << "[CLS] caf\u00e9 [SEP]";
    QTest::newRow("special_tokens_by_name")
        << QByteArray("<s>\n</s>\n")
        << QByteArray(R"({"cls_token": "<s>", "sep_token": {"content": "</s>", "lstrip": false}})")
        << "red"
        << "<s> red </s>";
}

void tst_TokenizerFactory::wordPieceSettingsFromConfig()
{
    QFETCH(QByteArray, vocabExtra);
    QFETCH(QByteArray, config);
    QFETCH(QString, text);
    QFETCH(QString, expectedTokens);

    QFile toyVocab(kToyDir + QStringLiteral("/vocab.txt"));
    QVERIFY(toyVocab.open(QIODevice::ReadOnly));
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QVERIFY(writeFile(dir.filePath("vocab.txt"), toyVocab.readAll() + vocabExtra));
    QVERIFY(writeFile(dir.filePath("tokenizer_config.json"), config));
    const auto tokenizer = Tokenizer::fromModelFolder(dir.path().toStdString(), 32);
    QCOMPARE(tokensOf(*tokenizer, text.toUtf8().constData()), expectedTokens);
}

void tst_TokenizerFactory::vocabTxtWinsOverSentencePiece()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QVERIFY(QFile::copy(kToyDir + QStringLiteral("/vocab.txt"), dir.filePath("vocab.txt")));
    // Not a real model: it must not even be opened when vocab.txt is there.
    QVERIFY(writeFile(dir.filePath("spiece.model"), "not a model"));
    const auto tokenizer = Tokenizer::fromModelFolder(dir.path().toStdString(), 32);
    QVERIFY(dynamic_cast<const WordPieceTokenizer *>(tokenizer.get()));
}

void tst_TokenizerFactory::folderErrors_data()
{
    QTest::addColumn<QString>("fileName"); // created in the folder; empty: none
    QTest::addColumn<QByteArray>("contents");
    QTest::addColumn<QString>("expectedInMessage");

    QTest::newRow("empty_folder") << QString() << QByteArray() << "vocab.txt";
    QTest::newRow("only_a_config") << "tokenizer_config.json" << QByteArray("{}") << "vocab.txt";
    QTest::newRow("malformed_config")
        << "tokenizer_config.json" << QByteArray("{\"model_max_length\": ")
        << "tokenizer_config.json";
    QTest::newRow("config_not_an_object")
        << "tokenizer_config.json" << QByteArray("[1, 2]") << "tokenizer_config.json";
    QTest::newRow("corrupt_sentencepiece_model")
        << "spiece.model" << QByteArray("\x0a\x05garbage") << "spiece.model";
    QTest::newRow("empty_vocab") << "vocab.txt" << QByteArray() << "vocab.txt";
}

void tst_TokenizerFactory::folderErrors()
{
    QFETCH(QString, fileName);
    QFETCH(QByteArray, contents);
    QFETCH(QString, expectedInMessage);

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    if (!fileName.isEmpty())
        QVERIFY(writeFile(dir.filePath(fileName), contents));
    try {
        Tokenizer::fromModelFolder(dir.path().toStdString(), 512);
        QFAIL("fromModelFolder accepted a folder without a usable tokenizer");
    } catch (const std::runtime_error &e) {
        const QString message = QString::fromUtf8(e.what());
        QVERIFY2(message.contains(dir.path()), e.what());
        QVERIFY2(message.contains(expectedInMessage), e.what());
    }
}

void tst_TokenizerFactory::invalidMaxPositions()
{
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             Tokenizer::fromModelFolder(kToyDir.toStdString(), 1));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             Tokenizer::fromModelFolder(kToyDir.toStdString(), 0));
    try {
        Tokenizer::fromModelFolder("/nonexistent/model", 512);
        QFAIL("a missing folder was accepted");
    } catch (const std::runtime_error &e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(u"/nonexistent/model"), e.what());
    }
}

void tst_TokenizerFactory::padToLength_data()
{
    QTest::addColumn<QList<qint64>>("ids");
    QTest::addColumn<int>("length");
    QTest::addColumn<qint64>("padId");
    QTest::addColumn<QList<qint64>>("expectedIds");
    QTest::addColumn<QList<qint64>>("expectedMask");

    QTest::newRow("pads_right") << QList<qint64>{101, 1037, 102} << 5 << 0LL
                                << QList<qint64>{101, 1037, 102, 0, 0}
                                << QList<qint64>{1, 1, 1, 0, 0};
    QTest::newRow("exact_length") << QList<qint64>{2, 9, 3} << 3 << 0LL << QList<qint64>{2, 9, 3}
                                  << QList<qint64>{1, 1, 1};
    QTest::newRow("other_pad_id") << QList<qint64>{1, 2} << 4 << 7LL << QList<qint64>{1, 2, 7, 7}
                                  << QList<qint64>{1, 1, 0, 0};
    QTest::newRow("empty_row") << QList<qint64>{} << 2 << 0LL << QList<qint64>{0, 0}
                               << QList<qint64>{0, 0};
}

void tst_TokenizerFactory::padToLength()
{
    QFETCH(QList<qint64>, ids);
    QFETCH(int, length);
    QFETCH(qint64, padId);
    QFETCH(QList<qint64>, expectedIds);
    QFETCH(QList<qint64>, expectedMask);

    std::vector<std::int64_t> row(ids.begin(), ids.end());
    const std::vector<std::int64_t> mask = imago::padToLength(row, std::size_t(length), padId);
    QCOMPARE(QList<qint64>(row.begin(), row.end()), expectedIds);
    QCOMPARE(QList<qint64>(mask.begin(), mask.end()), expectedMask);
}

void tst_TokenizerFactory::padToLengthRejectsLongInput()
{
    std::vector<std::int64_t> row{1, 2, 3};
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, imago::padToLength(row, 2, 0));
    QCOMPARE(row.size(), std::size_t(3));
}

QTEST_GUILESS_MAIN(tst_TokenizerFactory)
#include "tst_tokenizer_factory.moc"
