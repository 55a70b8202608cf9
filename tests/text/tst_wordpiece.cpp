// tst_wordpiece.cpp - WordPieceTokenizer against the reference goldens and the toy vocabulary.
//
// The golden file (shared/flava-reference/tokenizer-cases.jsonl, 61 cases) comes from Hugging
// Face's BertTokenizer; IMAGO_TOKENIZER_CASES may point at another file of the same format
// (such as the hidden set) to run it through the same test.
#include "tokenizer.h"
#include "unicode_text.h"
#include "wordpiece_tokenizer.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QStringList>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <thread>

using namespace imago;

namespace {

const QString kSharedDir = QStringLiteral(IMAGO_SHARED_DIR);
const QString kReferenceDir = kSharedDir + QStringLiteral("/flava-reference");
const QString kToyDir = kSharedDir + QStringLiteral("/flava-toy");
constexpr int kGoldenLength = 77;
constexpr int kPublicCaseCount = 61;

struct GoldenCase
{
    QString id;
    QByteArray text; // UTF-8 (WTF-8 for lone surrogates, see toWtf8)
    QList<qint64> ids;
    QList<qint64> mask;
    QStringList tokens;
};

// QString::toUtf8() would turn a lone surrogate (possible in JSON as "\ud800") into '?', a
// punctuation character; Python keeps it as a Cs character that BERT's cleaning deletes.
// Encoding it as its 3-byte form keeps that meaning (decodeUtf8 maps it back to Cs).
QByteArray toWtf8(const QString &s)
{
    std::string out;
    for (qsizetype i = 0; i < s.size(); ++i) {
        const QChar c = s.at(i);
        char32_t cp = c.unicode();
        if (c.isHighSurrogate() && i + 1 < s.size() && s.at(i + 1).isLowSurrogate()) {
            cp = QChar::surrogateToUcs4(c, s.at(i + 1));
            ++i;
        }
        if (cp >= 0xD800 && cp <= 0xDFFF) {
            out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else {
            unicode::appendUtf8(out, cp);
        }
    }
    return QByteArray::fromStdString(out);
}

QList<qint64> toInt64List(const QJsonArray &a)
{
    QList<qint64> out;
    for (const QJsonValue &v : a)
        out.append(v.toInteger(-1));
    return out;
}

// Space-joined forms make QCOMPARE failures readable (tokens never contain a space).
QString joined(const QList<qint64> &v)
{
    QStringList parts;
    for (const qint64 x : v)
        parts.append(QString::number(x));
    return parts.join(u' ');
}

QString joined(const std::vector<std::int64_t> &v)
{
    return joined(QList<qint64>(v.begin(), v.end()));
}

QStringList toStringList(const std::vector<std::string> &v)
{
    QStringList out;
    for (const std::string &s : v)
        out.append(QString::fromStdString(s));
    return out;
}

bool isValidUtf8(const std::string &s)
{
    const QByteArray bytes = QByteArray::fromStdString(s);
    return QString::fromUtf8(bytes).toUtf8() == bytes;
}

std::string_view view(const QByteArray &b)
{
    return std::string_view(b.constData(), static_cast<std::size_t>(b.size()));
}

} // namespace

class tst_WordPiece : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();

    void goldenCases_data();
    void goldenCases();

    void bertEdgeCases_data();
    void bertEdgeCases();
    void canonicalOrderingBeforeLookup();

    void toyVocabulary_data();
    void toyVocabulary();
    void toyTruncation();

    void unknownWords_data();
    void unknownWords();

    void hostileInput_data();
    void hostileInput();

    void vocabularyFiles_data();
    void vocabularyFiles();
    void invalidOptions();
    void shortestMaxLength();

    void nfdMatchesQt_data();
    void nfdMatchesQt();

    void threadSafety();

private:
    std::unique_ptr<WordPieceTokenizer> m_bert; // maxLength 77, as the goldens were made
    QList<GoldenCase> m_cases;
    bool m_publicCases = true;
};

void tst_WordPiece::initTestCase()
{
    const QString vocabPath = kReferenceDir + QStringLiteral("/vocab.txt");
    QFile vocab(vocabPath);
    QVERIFY2(vocab.open(QIODevice::ReadOnly), qPrintable(vocabPath));
    // The goldens hold only for the canonical bert-base-uncased vocabulary.
    QCOMPARE(QCryptographicHash::hash(vocab.readAll(), QCryptographicHash::Sha256).toHex(),
             QByteArray("07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"));

    WordPieceOptions options;
    options.maxLength = kGoldenLength;
    m_bert = std::make_unique<WordPieceTokenizer>(vocabPath.toStdString(), options);
    QCOMPARE(m_bert->vocabSize(), std::size_t(30522));
    QCOMPARE(m_bert->padId(), std::int64_t(0));
    QCOMPARE(m_bert->unkId(), std::int64_t(100));
    QCOMPARE(m_bert->clsId(), std::int64_t(101));
    QCOMPARE(m_bert->sepId(), std::int64_t(102));
    QCOMPARE(m_bert->maskId(), std::int64_t(103));
    QCOMPARE(m_bert->tokenId("the"), std::optional<std::int64_t>(1996));

    QString casesPath = qEnvironmentVariable("IMAGO_TOKENIZER_CASES");
    m_publicCases = casesPath.isEmpty();
    if (m_publicCases)
        casesPath = kReferenceDir + QStringLiteral("/tokenizer-cases.jsonl");
    QFile cases(casesPath);
    QVERIFY2(cases.open(QIODevice::ReadOnly | QIODevice::Text), qPrintable(casesPath));
    int lineNo = 0;
    while (!cases.atEnd()) {
        const QByteArray line = cases.readLine().trimmed();
        ++lineNo;
        if (line.isEmpty())
            continue;
        QJsonParseError error;
        const QJsonObject o = QJsonDocument::fromJson(line, &error).object();
        QVERIFY2(
            error.error == QJsonParseError::NoError,
            qPrintable(
                QStringLiteral("%1:%2: %3").arg(casesPath).arg(lineNo).arg(error.errorString())));
        GoldenCase c;
        c.id = o.value(u"id").toString();
        c.text = toWtf8(o.value(u"text").toString());
        c.ids = toInt64List(o.value(u"input_ids").toArray());
        c.mask = toInt64List(o.value(u"attention_mask").toArray());
        for (const QJsonValue &t : o.value(u"tokens").toArray())
            c.tokens.append(t.toString());
        QVERIFY2(!c.id.isEmpty() && c.ids.size() == kGoldenLength &&
                     c.mask.size() == kGoldenLength &&
                     c.tokens.size() == o.value(u"num_tokens").toInt(),
                 qPrintable(QStringLiteral("%1:%2: malformed case").arg(casesPath).arg(lineNo)));
        m_cases.append(c);
    }
    if (m_publicCases)
        QCOMPARE(m_cases.size(), kPublicCaseCount);
    QVERIFY(!m_cases.isEmpty());
}

void tst_WordPiece::goldenCases_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QList<qint64>>("expectedIds");
    QTest::addColumn<QList<qint64>>("expectedMask");
    QTest::addColumn<QStringList>("expectedTokens");
    for (const GoldenCase &c : std::as_const(m_cases))
        QTest::newRow(qPrintable(c.id)) << c.text << c.ids << c.mask << c.tokens;
}

void tst_WordPiece::goldenCases()
{
    QFETCH(QByteArray, text);
    QFETCH(QList<qint64>, expectedIds);
    QFETCH(QList<qint64>, expectedMask);
    QFETCH(QStringList, expectedTokens);

    TokenizedText t = m_bert->encode(view(text));
    QCOMPARE(toStringList(t.tokens).join(u' '), expectedTokens.join(u' '));
    QVERIFY(t.ids.size() <= std::size_t(kGoldenLength));
    const std::vector<std::int64_t> mask = padToLength(t.ids, kGoldenLength, m_bert->padId());
    QCOMPARE(joined(t.ids), joined(expectedIds));
    QCOMPARE(joined(mask), joined(expectedMask));
}

void tst_WordPiece::bertEdgeCases_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("expectedTokens"); // between [CLS] and [SEP], space-joined
    // Expectations from the reference (shared/flava-reference/python/flava_ref/tokenizer.py,
    // Python 3.11, Unicode 14) on the same strings; they pin down the table lookups the 61
    // goldens do not reach.
    // Takes the array, not a pointer, so that embedded NULs stay part of the text.
    const auto row = []<std::size_t N>(const char *name, const char(&text)[N], const char *tokens) {
        QTest::newRow(name) << QByteArray(text, N - 1) << QString::fromUtf8(tokens);
    };
    row("unassigned_deleted", "ab\u0378cd", "abc ##d");
    row("private_use_deleted", "ab\ue000cd", "abc ##d");
    row("lone_surrogate_deleted", "ab\355\240\200cd", "abc ##d");
    row("ogham_space", "dog\u1680cat", "dog cat");
    row("en_quad", "dog\u2000cat", "dog cat");
    row("narrow_nbsp", "dog\u202fcat", "dog cat");
    row("math_space", "dog\u205fcat", "dog cat");
    row("cr_only", "dog\rcat", "dog cat");
    // Python's str.split() would separate at these, but cleaning deletes them first (Cc/Cf).
    row("next_line_is_deleted", "dog\u0085cat", "dog ##cat");
    row("vertical_tab_is_deleted", "dog\vcat", "dog ##cat");
    row("form_feed_is_deleted", "dog\fcat", "dog ##cat");
    row("file_separator_is_deleted", "dog\034cat", "dog ##cat");
    row("mongolian_vowel_separator", "dog\u180ecat", "dog ##cat");
    row("word_joiner", "dog\u2060cat", "dog ##cat");
    row("zwnj", "a\u200cb", "ab");
    row("tab_only", "\t\t", "");
    row("cjk_extension_b", "\U00020000dog", "[UNK] dog");
    row("cjk_compatibility", "\uf900dog", "[UNK] dog");
    row("kangxi_radical_is_not_cjk", "\u2f00dog", "[UNK]");
    row("fullwidth_digits", "\uff11\uff12\uff13", "[UNK]");
    row("combining_only_word", "dog \u0301\u0302 cat", "dog cat");
    row("dotless_i", "\u0131stanbul", "\u0131 ##stan ##bu ##l");
    row("kelvin_sign", "\u212a", "k");
    row("angstrom_sign", "\u212b", "a");
    row("final_sigma_kept", "\u03c2", "\u03c2");
    row("titlecase_digraph", "\u01c5", "[UNK]");
    row("hangul_jamo", "\u1100\u1161", "\u1100 ##\u1161");
    row("superscript", "x\u00b2", "x ##\u00b2");
    row("ellipsis", "wait\u2026", "wait \u2026");
    row("em_dash", "a\u2014b", "a \u2014 b");
    row("guillemets", "\u00abhi\u00bb", "\u00ab hi \u00bb");
    row("inverted_question", "\u00bfque?", "\u00bf que ?");
    row("currency_sign", "\u00a4", "\u00a4");
    row("arabic_tatweel", "\u0640", "\u0640");
    row("devanagari_danda", "\u0964", "\u0964");
    row("special_inside_brackets", "[[CLS]]", "[ [CLS] ]");
    row("special_prefix_only", "[CLS", "[ cl ##s");
    row("special_mixed_case", "[Mask]", "[ mask ]");
    row("nul_inside_special", "[CL\0S]", "[ cl ##s ]");
}

void tst_WordPiece::bertEdgeCases()
{
    QFETCH(QByteArray, text);
    QFETCH(QString, expectedTokens);

    QStringList tokens = toStringList(m_bert->encode(view(text)).tokens);
    tokens = tokens.mid(1, tokens.size() - 2);
    QCOMPARE(tokens.join(u' '), expectedTokens);
}

// NFD reorders combining marks by class; a vocabulary entry in canonical order must match
// input typed in another order. U+1D165 (class 216) and U+1D16D (226) are spacing marks (Mc),
// so accent stripping keeps them and only the ordering decides.
void tst_WordPiece::canonicalOrderingBeforeLookup()
{
    const std::vector<std::string> vocab{"[PAD]", "[UNK]", "[CLS]", "[SEP]",
                                         "x\U0001D165\U0001D16D"};
    const WordPieceTokenizer tokenizer(vocab, WordPieceOptions{}, "in-memory");
    QCOMPARE(toStringList(tokenizer.encode("x\U0001D16D\U0001D165").tokens),
             (QStringList{"[CLS]", QString::fromUtf8("x\U0001D165\U0001D16D"), "[SEP]"}));
}

void tst_WordPiece::toyVocabulary_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QStringList>("expectedTokens");
    // From shared/flava-toy/README.md: every ASCII word tokenizes, none becomes [UNK].
    QTest::newRow("plural_suffix") << "circles" << QStringList{"circle", "##s"};
    QTest::newRow("whole_word") << "grey" << QStringList{"grey"};
    QTest::newRow("spelled_out") << "zebra" << QStringList{"z", "##e", "##b", "##r", "##a"};
    QTest::newRow("caption") << "A Red Circle and a green triangle."
                             << QStringList{"a", "red",   "circle",   "and",
                                            "a", "green", "triangle", "."};
    QTest::newRow("literal_mask") << "a [MASK] star" << QStringList{"a", "[MASK]", "star"};
    QTest::newRow("not_in_toy_vocab") << "🐶 star" << QStringList{"[UNK]", "star"};
}

void tst_WordPiece::toyVocabulary()
{
    QFETCH(QString, text);
    QFETCH(QStringList, expectedTokens);

    const auto tokenizer = Tokenizer::fromModelFolder(kToyDir.toStdString(), 32);
    const auto *toy = dynamic_cast<const WordPieceTokenizer *>(tokenizer.get());
    QVERIFY(toy);
    QCOMPARE(toy->maxLength(), 32);
    QCOMPARE(toy->vocabSize(), std::size_t(207));
    // The toy vocabulary numbers its special tokens differently from BERT's.
    QCOMPARE(toy->padId(), std::int64_t(0));
    QCOMPARE(toy->unkId(), std::int64_t(1));
    QCOMPARE(toy->clsId(), std::int64_t(2));
    QCOMPARE(toy->sepId(), std::int64_t(3));
    QCOMPARE(toy->maskId(), std::int64_t(4));

    const TokenizedText t = toy->encode(text.toStdString());
    expectedTokens.prepend(QStringLiteral("[CLS]"));
    expectedTokens.append(QStringLiteral("[SEP]"));
    QCOMPARE(toStringList(t.tokens), expectedTokens);
    QCOMPARE(t.ids.size(), t.tokens.size());
    for (std::size_t i = 0; i < t.ids.size(); ++i)
        QCOMPARE(t.ids[i], toy->tokenId(t.tokens[i]).value_or(-1));
}

void tst_WordPiece::toyTruncation()
{
    const auto toy = Tokenizer::fromModelFolder(kToyDir.toStdString(), 32);
    std::string text;
    for (int i = 0; i < 40; ++i)
        text += "red" + std::to_string(i % 10) + " ";
    // "red0" -> red ##0: 80 pieces, 30 fit.
    const TokenizedText t = toy->encode(text);
    QCOMPARE(t.ids.size(), std::size_t(32));
    QCOMPARE(t.ids.front(), std::int64_t(2));
    QCOMPARE(t.ids.back(), std::int64_t(3));
    // tokens[1 + p] is piece p: pieces 28 and 29 are "red" "##4", the 15th word.
    QCOMPARE(QString::fromStdString(t.tokens[29]), QStringLiteral("red"));
    QCOMPARE(QString::fromStdString(t.tokens[30]), QStringLiteral("##4"));
}

void tst_WordPiece::unknownWords_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QStringList>("expectedUnknown");
    QTest::addColumn<int>("expectedUnkTokens");
    QTest::newRow("chinese_rare_characters") << "海滩上的狗" << QStringList{"滩", "狗"} << 2;
    QTest::newRow("reported_once") << "狗狗 在 海滩" << QStringList{"狗", "在", "滩"} << 4;
    QTest::newRow("emoji") << "🐶 on the beach" << QStringList{"🐶"} << 1;
    QTest::newRow("emoji_zwj_sequence_kept_whole")
        << "family 👨\u200d👩\u200d👧 photo" << QStringList{"👨\u200d👩\u200d👧"} << 1;
    QTest::newRow("as_typed_not_normalised") << "ＦＵＬＬ width" << QStringList{"ＦＵＬＬ"} << 1;
    QTest::newRow("split_from_punctuation") << "snow☃, cafe" << QStringList{"snow☃"} << 1;
    QTest::newRow("dropped_accent_stays_attached") << "🐱\u0301 cat" << QStringList{"🐱\u0301"} << 1;
    QTest::newRow("typed_unk_is_not_a_word") << "[UNK] dog" << QStringList{} << 1;
    QTest::newRow("all_known") << "Ærøskøbing café" << QStringList{} << 0;
    QTest::newRow("long_word_shortened")
        << QString(101, u'a') << QStringList{QString(100, u'a') + u'\u2026'} << 1;
    QTest::newRow("truncated_away")
        << QStringLiteral("cat ").repeated(80) + QStringLiteral("🐶") << QStringList{} << 0;
}

void tst_WordPiece::unknownWords()
{
    QFETCH(QString, text);
    QFETCH(QStringList, expectedUnknown);
    QFETCH(int, expectedUnkTokens);

    const TokenizedText t = m_bert->encode(text.toStdString());
    QCOMPARE(toStringList(t.unknownWords), expectedUnknown);
    QCOMPARE(int(std::count(t.ids.begin(), t.ids.end(), m_bert->unkId())), expectedUnkTokens);
}

void tst_WordPiece::hostileInput_data()
{
    QTest::addColumn<QByteArray>("bytes");
    // Expected tokens between [CLS] and [SEP], space-joined; "*" = check the invariants only.
    QTest::addColumn<QString>("expected");

    QTest::newRow("empty") << QByteArray() << "";
    QTest::newRow("only_controls") << QByteArray("\x01\x02\x1b\x7f\x0b\x0c", 6) << "";
    QTest::newRow("only_nul") << QByteArray(16, '\0') << "";
    QTest::newRow("format_and_private_use") << QByteArray("\u200b\u200e\ue000\U000F0000") << "";
    QTest::newRow("lone_continuation_bytes") << QByteArray("\x80\xbf\x80") << "";
    QTest::newRow("invalid_lead_bytes") << QByteArray("\xc0\xc1\xf5\xff\xfe") << "";
    QTest::newRow("overlong_slash") << QByteArray("\xc0\xaf\xe0\x80\xaf") << "";
    QTest::newRow("truncated_sequence") << QByteArray("\xe4\xb8") << "";
    QTest::newRow("encoded_surrogate") << QByteArray("\xed\xa0\x80\xed\xbf\xbf") << "";
    QTest::newRow("above_max_code_point") << QByteArray("\xf4\x90\x80\x80") << "";
    QTest::newRow("invalid_inside_word") << QByteArray("ab\377cd") << "abc ##d";
    QTest::newRow("truncated_then_ascii") << QByteArray("\344\270dog") << "dog";
    QTest::newRow("one_megabyte_word") << QByteArray(1 << 20, 'x') << "[UNK]";
    QTest::newRow("one_megabyte_of_words")
        << QByteArray("dog ").repeated(1 << 18) << QStringLiteral("dog ").repeated(75).trimmed();
    QTest::newRow("one_megabyte_of_specials")
        << QByteArray("[SEP]").repeated(200000) << QStringLiteral("[SEP] ").repeated(75).trimmed();
    QTest::newRow("one_megabyte_of_accents") << QByteArray("\xcc\x81").repeated(1 << 19) << "";
    QByteArray random(1 << 20, '\0');
    QRandomGenerator rng(20240601);
    for (char &b : random)
        b = static_cast<char>(rng.bounded(256));
    QTest::newRow("one_megabyte_random_bytes") << random << "*";
}

void tst_WordPiece::hostileInput()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, expected);

    const TokenizedText t = m_bert->encode(view(bytes));
    QVERIFY(t.ids.size() >= 2 && t.ids.size() <= std::size_t(kGoldenLength));
    QCOMPARE(t.ids.size(), t.tokens.size());
    QCOMPARE(t.ids.front(), m_bert->clsId());
    QCOMPARE(t.ids.back(), m_bert->sepId());
    for (const std::int64_t id : t.ids)
        QVERIFY(id >= 0 && std::size_t(id) < m_bert->vocabSize());
    for (const std::string &w : t.unknownWords)
        QVERIFY2(isValidUtf8(w), w.c_str());
    if (expected == u"*")
        return;
    QStringList tokens = toStringList(t.tokens);
    tokens = tokens.mid(1, tokens.size() - 2);
    QCOMPARE(tokens.join(u' '), expected);
}

void tst_WordPiece::vocabularyFiles_data()
{
    QTest::addColumn<QByteArray>("contents");
    QTest::addColumn<QString>("expectedTokens"); // empty: construction must throw
    const QByteArray lines[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "dog", "##s", "cat"};
    const auto join = [&](const char *eol) {
        QByteArray out;
        for (const QByteArray &l : lines)
            out += l + eol;
        return out;
    };
    QTest::newRow("lf") << join("\n") << "[CLS] dog ##s cat [SEP]";
    QTest::newRow("crlf") << join("\r\n") << "[CLS] dog ##s cat [SEP]";
    QTest::newRow("cr") << join("\r") << "[CLS] dog ##s cat [SEP]";
    QTest::newRow("no_final_newline") << join("\n").chopped(1) << "[CLS] dog ##s cat [SEP]";
    QTest::newRow("utf8_bom") << "\xEF\xBB\xBF" + join("\n") << "[CLS] dog ##s cat [SEP]";
    QTest::newRow("no_mask_token_is_fine") << join("\n") + "[MASK]x\n"
                                           << "[CLS] dog ##s cat [SEP]";
    QTest::newRow("empty_file") << QByteArray() << "";
    QTest::newRow("missing_cls") << QByteArray("[PAD]\n[UNK]\n[SEP]\ndog\n") << "";
    QTest::newRow("lower_case_specials_do_not_count")
        << QByteArray("[pad]\n[unk]\n[cls]\n[sep]\n") << "";
}

void tst_WordPiece::vocabularyFiles()
{
    QFETCH(QByteArray, contents);
    QFETCH(QString, expectedTokens);

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("vocab.txt"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(contents);
    f.close();

    if (expectedTokens.isEmpty()) {
        try {
            WordPieceTokenizer tokenizer(path.toStdString());
            QFAIL("a vocabulary without the special tokens was accepted");
        } catch (const std::runtime_error &e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains(path), e.what());
        }
        return;
    }
    const WordPieceTokenizer tokenizer(path.toStdString());
    QCOMPARE(tokenizer.clsId(), std::int64_t(2));
    QCOMPARE(tokenizer.vocabSize(), std::size_t(7 + (contents.contains("[MASK]x") ? 1 : 0)));
    QCOMPARE(toStringList(tokenizer.encode("Dogs CAT").tokens).join(u' '), expectedTokens);
}

void tst_WordPiece::invalidOptions()
{
    const std::string vocab = (kToyDir + QStringLiteral("/vocab.txt")).toStdString();
    WordPieceOptions options;
    options.maxLength = 1;
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, (void)WordPieceTokenizer(vocab, options));
    options = {};
    options.clsToken = "<s>";
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, (void)WordPieceTokenizer(vocab, options));
    try {
        WordPieceTokenizer missing("/nonexistent/vocab.txt");
        QFAIL("a missing vocabulary was accepted");
    } catch (const std::runtime_error &e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(u"/nonexistent/vocab.txt"), e.what());
    }
}

void tst_WordPiece::shortestMaxLength()
{
    WordPieceOptions options;
    options.maxLength = 2;
    const WordPieceTokenizer tokenizer((kToyDir + QStringLiteral("/vocab.txt")).toStdString(),
                                       options);
    const TokenizedText t = tokenizer.encode("a red circle 🐶");
    QCOMPARE(toStringList(t.tokens), (QStringList{"[CLS]", "[SEP]"}));
    QVERIFY(t.unknownWords.empty());
}

void tst_WordPiece::nfdMatchesQt_data()
{
    QTest::addColumn<QString>("text");
    QTest::newRow("precomposed") << "caf\u00e9 \u1ec7";
    QTest::newRow("marks_out_of_order") << "a\u0301\u0323 e\u0302\u0323\u0301";
    QTest::newRow("hangul_syllables") << "\uc11c\uc6b8\uc758";
    QTest::newRow("cjk_compatibility") << "\uf900\uf9ff";
    QTest::newRow("supplementary") << "\U0001d15e\U0001d165\U0001d16d\U0001d165";
    QTest::newRow("greek_with_tonos") << "\u0390\u1f88\u0385";
}

// Per-character decomposition plus canonical ordering (which the tokenizer uses to track
// where each code point came from) must equal whole-string NFD.
void tst_WordPiece::nfdMatchesQt()
{
    QFETCH(QString, text);
    const std::u32string input = unicode::decodeUtf8(text.toStdString());
    std::u32string decomposed;
    for (const char32_t c : input)
        unicode::appendCanonicalDecomposition(decomposed, c);
    std::vector<std::size_t> tags(decomposed.size(), 0);
    unicode::canonicalOrder(decomposed, tags);
    QCOMPARE(QString::fromStdString(unicode::encodeUtf8(decomposed)),
             text.normalized(QString::NormalizationForm_D));
}

void tst_WordPiece::threadSafety()
{
    std::vector<QByteArray> inputs;
    for (const GoldenCase &c : std::as_const(m_cases))
        inputs.push_back(c.text);
    inputs.push_back(QByteArray(1 << 16, 'x'));
    inputs.push_back(QByteArray("\xff\xfe\xed\xa0\x80 broken"));

    std::vector<TokenizedText> expected;
    for (const QByteArray &in : inputs)
        expected.push_back(m_bert->encode(view(in)));

    constexpr int kThreads = 4;
    constexpr int kRounds = 25;
    // Each thread records its mismatches; QTest macros are used on this thread only.
    std::vector<int> mismatches(kThreads, 0);
    std::vector<std::thread> threads;
    for (int k = 0; k < kThreads; ++k) {
        threads.emplace_back([&, k] {
            for (int round = 0; round < kRounds; ++round) {
                // Different threads walk the inputs in different orders.
                for (std::size_t n = 0; n < inputs.size(); ++n) {
                    const std::size_t i = (n * (k + 1) + round) % inputs.size();
                    const TokenizedText t = m_bert->encode(view(inputs[i]));
                    if (t.ids != expected[i].ids || t.tokens != expected[i].tokens ||
                        t.unknownWords != expected[i].unknownWords)
                        ++mismatches[k];
                }
            }
        });
    }
    for (std::thread &t : threads)
        t.join();
    QCOMPARE(mismatches, std::vector<int>(kThreads, 0));
}

QTEST_GUILESS_MAIN(tst_WordPiece)
#include "tst_wordpiece.moc"
