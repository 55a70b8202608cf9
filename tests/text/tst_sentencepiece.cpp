// tst_sentencepiece.cpp - SentencePieceTokenizer on tiny models trained here with
// sentencepiece's own trainer; the library's SentencePieceProcessor is the oracle for ids.
#include "sentencepiece_tokenizer.h"
#include "tokenizer.h"
#include "wordpiece_tokenizer.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <QFile>
#include <QRandomGenerator>
#include <QStringList>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <stdexcept>
#include <thread>

using namespace imago;

namespace {

// Captions in the style of the toy model's training data, plus a few longer sentences, so
// every letter of the test queries is seen in training (none of them becomes unknown).
QByteArray trainingText()
{
    const char *colours[] = {"red", "green", "blue", "yellow", "purple", "orange", "white"};
    const char *shapes[] = {"circle", "square", "triangle", "star", "cross"};
    const char *backgrounds[] = {"gray", "pink", "beige", "white"};
    QByteArray text;
    for (const char *c : colours)
        for (const char *s : shapes)
            for (const char *b : backgrounds)
                text += QByteArray("a photo of a ") + c + ' ' + s + " on a " + b + " background\n" +
                        "the " + c + ' ' + s + " next to a " + s + "\n";
    text += "two kids building a sandcastle at dusk while their dog runs along the waves\n"
            "hello world, a quick brown fox jumps over the lazy dog\n"
            "mountains and lakes in the morning light\n";
    return text;
}

bool writeFile(const QString &path, const QByteArray &contents)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(contents) == contents.size();
}

QStringList toStringList(const std::vector<std::string> &v)
{
    QStringList out;
    for (const std::string &s : v)
        out.append(QString::fromStdString(s));
    return out;
}

// The text a sequence of pieces spells: "▁" (U+2581) marks a preceding space.
QString spelled(const std::vector<std::string> &pieces)
{
    QString out;
    for (const std::string &p : pieces)
        out += QString::fromStdString(p);
    return out.replace(QChar(0x2581), QLatin1Char(' ')).trimmed();
}

std::vector<std::int64_t> widened(const std::vector<int> &ids)
{
    return std::vector<std::int64_t>(ids.begin(), ids.end());
}

} // namespace

class tst_SentencePiece : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();

    void picksSentencePiece_data();
    void picksSentencePiece();

    void framing_data();
    void framing();

    void roundTrip_data();
    void roundTrip();

    void truncation();
    void unknownWords();
    void lowerCaseFromConfig();

    void hostileInput_data();
    void hostileInput();

    void threadSafety();
    void rejectsBadOptions();

private:
    // Trains `<name>.model` in m_dir with `extraArgs` on top of the common settings.
    QString train(const QString &name, const std::string &extraArgs);
    // A model folder holding only `model` under `fileName` (plus `config`, if not empty).
    std::unique_ptr<QTemporaryDir> folderWith(const QString &model, const QString &fileName,
                                              const QByteArray &config = {});

    QTemporaryDir m_dir;
    QString m_plainModel;  // unigram, default specials: <unk>=0, <s>=1, </s>=2, no pad
    QString m_framedModel; // bpe, with [CLS]/[SEP]/[PAD] control symbols
    sentencepiece::SentencePieceProcessor m_oracle; // loads m_plainModel
};

QString tst_SentencePiece::train(const QString &name, const std::string &extraArgs)
{
    const QString prefix = m_dir.filePath(name);
    const std::string args = "--input=" + m_dir.filePath("corpus.txt").toStdString() +
                             " --model_prefix=" + prefix.toStdString() +
                             " --vocab_size=120 --hard_vocab_limit=false --num_threads=1"
                             " --character_coverage=1.0 --minloglevel=2 " +
                             extraArgs;
    const auto status = sentencepiece::SentencePieceTrainer::Train(args);
    if (!status.ok())
        qWarning("training %s failed: %s", qPrintable(name), status.ToString().c_str());
    return prefix + QStringLiteral(".model");
}

std::unique_ptr<QTemporaryDir> tst_SentencePiece::folderWith(const QString &model,
                                                             const QString &fileName,
                                                             const QByteArray &config)
{
    auto dir = std::make_unique<QTemporaryDir>();
    if (!dir->isValid() || !QFile::copy(model, dir->filePath(fileName)))
        return nullptr;
    if (!config.isEmpty() && !writeFile(dir->filePath("tokenizer_config.json"), config))
        return nullptr;
    return dir;
}

void tst_SentencePiece::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY(writeFile(m_dir.filePath("corpus.txt"), trainingText()));
    m_plainModel = train("plain", "--model_type=unigram");
    m_framedModel = train("framed", "--model_type=bpe --control_symbols=[CLS],[SEP],[PAD]");
    QVERIFY2(QFile::exists(m_plainModel), qPrintable(m_plainModel));
    QVERIFY2(QFile::exists(m_framedModel), qPrintable(m_framedModel));
    QVERIFY(m_oracle.Load(m_plainModel.toStdString()).ok());
    QCOMPARE(m_oracle.bos_id(), 1);
    QCOMPARE(m_oracle.eos_id(), 2);
    QCOMPARE(m_oracle.pad_id(), -1);
    // Under a sanitizer the plugin cannot load (sentencepiece_plugin_loader.h); the tokenizer
    // then refuses to exist, which tst_sentencepiece_plugin checks, and nothing here can run.
    try {
        const SentencePieceTokenizer probe(m_plainModel.toStdString());
    } catch (const std::runtime_error &e) {
        if (QString::fromUtf8(e.what()).contains(u"the process runs under"))
            QSKIP(e.what());
        QFAIL(e.what());
    }
}

void tst_SentencePiece::picksSentencePiece_data()
{
    QTest::addColumn<QString>("fileName");
    QTest::newRow("albert_t5_style") << "spiece.model";
    QTest::newRow("xlmr_style") << "sentencepiece.bpe.model";
    QTest::newRow("llama_style") << "tokenizer.model";
}

void tst_SentencePiece::picksSentencePiece()
{
    QFETCH(QString, fileName);
    const auto dir = folderWith(m_plainModel, fileName);
    QVERIFY(dir);
    const auto tokenizer = Tokenizer::fromModelFolder(dir->path().toStdString(), 512);
    const auto *sp = dynamic_cast<const SentencePieceTokenizer *>(tokenizer.get());
    QVERIFY(sp);
    QCOMPARE(sp->maxLength(), 77);
    QCOMPARE(sp->vocabSize(), std::size_t(m_oracle.GetPieceSize()));
    QCOMPARE(sp->unkId(), std::int64_t(m_oracle.unk_id()));
    QVERIFY(!sp->options().lowerCase);
}

void tst_SentencePiece::framing_data()
{
    QTest::addColumn<bool>("framedModel");
    QTest::addColumn<QString>("expectedStart");
    QTest::addColumn<QString>("expectedEnd");
    QTest::addColumn<QString>("expectedPad");
    // No [CLS]/[SEP] pieces: the model's own bos/eos; no pad id: the unknown id.
    QTest::newRow("bos_eos") << false << "<s>"
                             << "</s>"
                             << "<unk>";
    // Explicit [CLS]/[SEP] pieces win over bos/eos, [PAD] is the padding.
    QTest::newRow("cls_sep_pieces") << true << "[CLS]"
                                    << "[SEP]"
                                    << "[PAD]";
}

void tst_SentencePiece::framing()
{
    QFETCH(bool, framedModel);
    QFETCH(QString, expectedStart);
    QFETCH(QString, expectedEnd);
    QFETCH(QString, expectedPad);

    const QString model = framedModel ? m_framedModel : m_plainModel;
    sentencepiece::SentencePieceProcessor oracle;
    QVERIFY(oracle.Load(model.toStdString()).ok());
    const SentencePieceTokenizer tokenizer(model.toStdString());
    QCOMPARE(QString::fromStdString(oracle.IdToPiece(int(tokenizer.startId()))), expectedStart);
    QCOMPARE(QString::fromStdString(oracle.IdToPiece(int(tokenizer.endId()))), expectedEnd);
    QCOMPARE(QString::fromStdString(oracle.IdToPiece(int(tokenizer.padId()))), expectedPad);

    const TokenizedText t = tokenizer.encode("a red circle");
    QVERIFY(t.ids.size() > 2);
    QCOMPARE(t.ids.front(), tokenizer.startId());
    QCOMPARE(t.ids.back(), tokenizer.endId());
    QCOMPARE(QString::fromStdString(t.tokens.front()), expectedStart);
    QCOMPARE(QString::fromStdString(t.tokens.back()), expectedEnd);
}

void tst_SentencePiece::roundTrip_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("normalized"); // what the model's nmt_nfkc normaliser makes of it
    QTest::newRow("training_caption") << "a photo of a red circle on a pink background"
                                      << "a photo of a red circle on a pink background";
    QTest::newRow("unseen_word_of_seen_letters") << "a purple sandcastle at dawn"
                                                 << "a purple sandcastle at dawn";
    QTest::newRow("extra_whitespace_collapsed") << "  two   kids \t at dusk  "
                                                << "two kids at dusk";
    QTest::newRow("fullwidth_nfkc") << "ｒｅｄ star"
                                    << "red star";
    QTest::newRow("empty") << ""
                           << "";
}

void tst_SentencePiece::roundTrip()
{
    QFETCH(QString, text);
    QFETCH(QString, normalized);

    const auto dir = folderWith(m_plainModel, "spiece.model");
    QVERIFY(dir);
    const auto tokenizer = Tokenizer::fromModelFolder(dir->path().toStdString(), 512);
    const std::string input = text.toStdString();
    const TokenizedText t = tokenizer->encode(input);

    std::vector<std::int64_t> expectedIds = widened(m_oracle.EncodeAsIds(input));
    expectedIds.insert(expectedIds.begin(), m_oracle.bos_id());
    expectedIds.push_back(m_oracle.eos_id());
    QCOMPARE(t.ids, expectedIds);
    QCOMPARE(t.tokens.size(), t.ids.size());
    const std::vector<std::string> pieces(t.tokens.begin() + 1, t.tokens.end() - 1);
    QCOMPARE(spelled(pieces), normalized);
    QVERIFY(t.unknownWords.empty());
}

void tst_SentencePiece::truncation()
{
    const auto dir = folderWith(m_plainModel, "spiece.model");
    QVERIFY(dir);
    const auto tokenizer = Tokenizer::fromModelFolder(dir->path().toStdString(), 8);
    QCOMPARE(tokenizer->maxLength(), 8);
    const std::string input = "two kids building a sandcastle at dusk while their dog runs";
    const TokenizedText t = tokenizer->encode(input);
    const std::vector<int> all = m_oracle.EncodeAsIds(input);
    QVERIFY(all.size() > 6);
    std::vector<std::int64_t> expected{m_oracle.bos_id()};
    expected.insert(expected.end(), all.begin(), all.begin() + 6);
    expected.push_back(m_oracle.eos_id());
    QCOMPARE(t.ids, expected);
}

void tst_SentencePiece::unknownWords()
{
    const SentencePieceTokenizer tokenizer(m_plainModel.toStdString());
    // Cyrillic and the emoji never occur in training; without byte fallback they are <unk>.
    const TokenizedText t = tokenizer.encode("a red жук and a 🐞 and жук");
    QCOMPARE(toStringList(t.unknownWords), (QStringList{"жук", "🐞"}));
    QCOMPARE(std::count(t.ids.begin(), t.ids.end(), tokenizer.unkId()), 3);
}

void tst_SentencePiece::lowerCaseFromConfig()
{
    const auto dir = folderWith(m_plainModel, "spiece.model", R"({"do_lower_case": true})");
    QVERIFY(dir);
    const auto tokenizer = Tokenizer::fromModelFolder(dir->path().toStdString(), 512);
    QCOMPARE(tokenizer->encode("A RED CIRCLE").ids, tokenizer->encode("a red circle").ids);
    QVERIFY(tokenizer->encode("A RED CIRCLE").unknownWords.empty());
}

void tst_SentencePiece::hostileInput_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("only_controls") << QByteArray("\x01\x02\x1b\x7f", 4);
    QTest::newRow("nul_bytes") << QByteArray(8, '\0');
    QTest::newRow("invalid_utf8") << QByteArray("\xff\xfe\xc0\xaf\xed\xa0\x80\xe4\xb8");
    QTest::newRow("one_megabyte_of_words") << QByteArray("red star ").repeated(1 << 17);
    QByteArray random(1 << 20, '\0');
    QRandomGenerator rng(7001);
    for (char &b : random)
        b = static_cast<char>(rng.bounded(256));
    QTest::newRow("one_megabyte_random_bytes") << random;
}

void tst_SentencePiece::hostileInput()
{
    QFETCH(QByteArray, bytes);
    const SentencePieceTokenizer tokenizer(m_plainModel.toStdString());
    const TokenizedText t =
        tokenizer.encode(std::string_view(bytes.constData(), std::size_t(bytes.size())));
    QVERIFY(t.ids.size() >= 2 && t.ids.size() <= 77);
    QCOMPARE(t.ids.front(), tokenizer.startId());
    QCOMPARE(t.ids.back(), tokenizer.endId());
    for (const std::int64_t id : t.ids)
        QVERIFY(id >= 0 && std::size_t(id) < tokenizer.vocabSize());
    for (const std::string &w : t.unknownWords) {
        const QByteArray b = QByteArray::fromStdString(w);
        QVERIFY2(QString::fromUtf8(b).toUtf8() == b, "unknown word is not valid UTF-8");
    }
}

void tst_SentencePiece::threadSafety()
{
    const SentencePieceTokenizer tokenizer(m_plainModel.toStdString());
    const std::vector<std::string> inputs = {"a photo of a red circle on a pink background",
                                             "two kids at dusk",
                                             "жук 🐞",
                                             "",
                                             "\xff\xfe broken",
                                             std::string(20000, 'a'),
                                             "ｒｅｄ star"};
    std::vector<TokenizedText> expected;
    for (const std::string &in : inputs)
        expected.push_back(tokenizer.encode(in));

    constexpr int kThreads = 4;
    std::vector<int> mismatches(kThreads, 0);
    std::vector<std::thread> threads;
    for (int k = 0; k < kThreads; ++k) {
        threads.emplace_back([&, k] {
            for (int round = 0; round < 50; ++round) {
                const std::size_t i = (std::size_t(round) * (k + 1)) % inputs.size();
                const TokenizedText t = tokenizer.encode(inputs[i]);
                if (t.ids != expected[i].ids || t.tokens != expected[i].tokens ||
                    t.unknownWords != expected[i].unknownWords)
                    ++mismatches[k];
            }
        });
    }
    for (std::thread &t : threads)
        t.join();
    QCOMPARE(mismatches, std::vector<int>(kThreads, 0));
}

void tst_SentencePiece::rejectsBadOptions()
{
    SentencePieceOptions options;
    options.maxLength = 1;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             (void)SentencePieceTokenizer(m_plainModel.toStdString(), options));
    try {
        SentencePieceTokenizer missing("/nonexistent/spiece.model");
        QFAIL("a missing model was accepted");
    } catch (const std::runtime_error &e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(u"/nonexistent/spiece.model"), e.what());
    }
}

QTEST_GUILESS_MAIN(tst_SentencePiece)
#include "tst_sentencepiece.moc"
