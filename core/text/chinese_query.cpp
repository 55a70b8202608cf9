// chinese_query.cpp - see chinese_query.h.
#include "chinese_query.h"

#include "text_log.h"
#include "unicode_text.h"

#include <QFile>
#include <QHash>
#include <QSet>

#include <algorithm>
#include <limits>
#include <string>
#include <utility>
#include <vector>

// The word list is compiled into this static library: Qt needs the registration called once,
// from a function outside any namespace.
static void initChineseQueryResource()
{
    Q_INIT_RESOURCE(chinese_query);
}

namespace imago {

namespace {

const QString kWordListPath = QStringLiteral(":/imago/text/zh_en_photo.tsv");

// ---------------------------------------------------------------------------------------------
// The lexicon: the vocabulary of zh_en_photo.tsv plus the grammar words below.

enum class Role
{
    Vocabulary, // a word with a gloss
    Drop,       // a function word with nothing to say to an image model
    Location,   // 上, 里, 旁边 ...: English preposition in `text`
    Measure,    // 个, 只, 张 ...: only a measure word right after a number (else its gloss)
    Quantity,   // 很多, 一些, 这 ...: `text` (may be empty), `plural`
    Zai,        // 在: opens a place phrase
    De,         // 的: modifier marker
    And,        // 和, 或: `text` is "and" or "or"
    Plural,     // 们
};

struct Entry
{
    Role role = Role::Vocabulary;
    QString gloss; // from the word list; empty for pure grammar words
    char tag = 'n';
    QString text; // the grammar role's English (preposition, quantity word, conjunction)
    bool plural = false;
};

struct GrammarWord
{
    const char *word;
    Role role;
    const char *text = "";
    bool plural = false;
};

// Grammar words. They override a word-list gloss for the same word, except Measure, which
// keeps it for use outside a number phrase (杯 "cup", 家 "home").
// clang-format off
const GrammarWord kGrammarWords[] = {
    // aspect, degree, modal and sentence particles; pronoun-like words; "photo of"
    {"了", Role::Drop}, {"着", Role::Drop}, {"过", Role::Drop}, {"是", Role::Drop},
    {"很", Role::Drop}, {"非常", Role::Drop}, {"太", Role::Drop}, {"真", Role::Drop},
    {"最", Role::Drop}, {"更", Role::Drop}, {"比较", Role::Drop}, {"特别", Role::Drop},
    {"好", Role::Drop}, {"都", Role::Drop}, {"也", Role::Drop}, {"还", Role::Drop},
    {"就", Role::Drop}, {"又", Role::Drop}, {"再", Role::Drop}, {"把", Role::Drop},
    {"被", Role::Drop}, {"让", Role::Drop}, {"给", Role::Drop}, {"一起", Role::Drop},
    {"一下", Role::Drop}, {"一点", Role::Drop}, {"一样", Role::Drop}, {"正在", Role::Drop},
    {"正", Role::Drop}, {"吗", Role::Drop}, {"呢", Role::Drop}, {"吧", Role::Drop},
    {"啊", Role::Drop}, {"呀", Role::Drop}, {"么", Role::Drop}, {"得", Role::Drop},
    {"地", Role::Drop}, {"所", Role::Drop}, {"时", Role::Drop}, {"时候", Role::Drop},
    {"的时候", Role::Drop}, {"年", Role::Drop}, {"这里", Role::Drop}, {"那里", Role::Drop},
    {"这儿", Role::Drop}, {"那儿", Role::Drop}, {"照片", Role::Drop}, {"图片", Role::Drop},
    {"相片", Role::Drop}, {"图", Role::Drop}, {"照", Role::Drop}, {"拍的", Role::Drop},
    {"我的", Role::Drop}, {"我们的", Role::Drop}, {"你的", Role::Drop}, {"他的", Role::Drop},
    {"她的", Role::Drop}, {"找", Role::Drop}, {"显示", Role::Drop}, {"所有的", Role::Drop},
    // location words: "X上" is a place phrase "on X"
    {"上", Role::Location, "on"}, {"上面", Role::Location, "on"}, {"上边", Role::Location, "on"},
    {"顶上", Role::Location, "on top of"}, {"上方", Role::Location, "above"},
    {"上空", Role::Location, "above"}, {"里", Role::Location, "in"}, {"里面", Role::Location, "in"},
    {"里边", Role::Location, "in"}, {"内", Role::Location, "in"}, {"中", Role::Location, "in"},
    {"之中", Role::Location, "in"}, {"当中", Role::Location, "in"},
    {"中间", Role::Location, "in the middle of"}, {"下", Role::Location, "under"},
    {"下面", Role::Location, "under"}, {"下边", Role::Location, "under"},
    {"底下", Role::Location, "under"}, {"下方", Role::Location, "below"},
    {"前", Role::Location, "in front of"}, {"前面", Role::Location, "in front of"},
    {"前边", Role::Location, "in front of"}, {"后", Role::Location, "behind"},
    {"后面", Role::Location, "behind"}, {"后边", Role::Location, "behind"},
    {"背后", Role::Location, "behind"}, {"旁", Role::Location, "beside"},
    {"旁边", Role::Location, "beside"}, {"边", Role::Location, "beside"},
    {"边上", Role::Location, "beside"}, {"身边", Role::Location, "beside"},
    {"附近", Role::Location, "near"}, {"周围", Role::Location, "around"},
    {"外", Role::Location, "outside"}, {"外面", Role::Location, "outside"},
    {"外边", Role::Location, "outside"}, {"对面", Role::Location, "opposite"},
    {"之间", Role::Location, "between"},
    // measure words (群 and 对 make the noun plural even after 一)
    {"个", Role::Measure}, {"只", Role::Measure}, {"张", Role::Measure}, {"条", Role::Measure},
    {"头", Role::Measure}, {"匹", Role::Measure}, {"辆", Role::Measure}, {"本", Role::Measure},
    {"棵", Role::Measure}, {"朵", Role::Measure}, {"座", Role::Measure}, {"件", Role::Measure},
    {"位", Role::Measure}, {"名", Role::Measure}, {"群", Role::Measure, "", true},
    {"片", Role::Measure}, {"双", Role::Measure}, {"对", Role::Measure, "", true},
    {"杯", Role::Measure}, {"碗", Role::Measure}, {"块", Role::Measure}, {"栋", Role::Measure},
    {"艘", Role::Measure}, {"架", Role::Measure}, {"家", Role::Measure}, {"支", Role::Measure},
    {"根", Role::Measure}, {"束", Role::Measure}, {"盘", Role::Measure}, {"顶", Role::Measure},
    {"幅", Role::Measure}, {"间", Role::Measure}, {"台", Role::Measure}, {"份", Role::Measure},
    {"颗", Role::Measure}, {"粒", Role::Measure}, {"串", Role::Measure}, {"口", Role::Measure},
    {"种", Role::Measure},
    // quantities and demonstratives (a measure word may follow)
    {"很多", Role::Quantity, "many", true}, {"许多", Role::Quantity, "many", true},
    {"好多", Role::Quantity, "many", true}, {"一些", Role::Quantity, "", true},
    {"有些", Role::Quantity, "", true}, {"些", Role::Quantity, "", true},
    {"几", Role::Quantity, "several", true}, {"所有", Role::Quantity, "all", true},
    {"这些", Role::Quantity, "", true}, {"那些", Role::Quantity, "", true}, {"这", Role::Quantity},
    {"那", Role::Quantity}, {"这个", Role::Quantity}, {"那个", Role::Quantity},
    {"每", Role::Quantity, "every"},
    // structure
    {"在", Role::Zai}, {"于", Role::Zai}, {"的", Role::De}, {"之", Role::De},
    {"和", Role::And, "and"}, {"与", Role::And, "and"}, {"跟", Role::And, "and"},
    {"及", Role::And, "and"}, {"以及", Role::And, "and"}, {"还有", Role::And, "and"},
    {"或", Role::And, "or"}, {"或者", Role::And, "or"}, {"们", Role::Plural},
};
// clang-format on

struct Lexicon
{
    QHash<QString, Entry> entries;
    qsizetype maxWordLength = 1; // in code points
};

qsizetype codePointCount(const QString &s)
{
    qsizetype n = 0;
    for (qsizetype i = 0; i < s.size(); ++i) {
        if (!(s.at(i).isLowSurrogate() && i > 0 && s.at(i - 1).isHighSurrogate()))
            ++n;
    }
    return n;
}

Lexicon buildLexicon()
{
    initChineseQueryResource();
    Lexicon lex;
    QFile file(kWordListPath);
    if (!file.open(QIODevice::ReadOnly)) {
        // A build error rather than a user's problem: translation degrades to "unknown word".
        qCWarning(lcText) << "cannot open the Chinese word list" << kWordListPath << ':'
                          << file.errorString();
    } else {
        int lineNo = 0;
        while (!file.atEnd()) {
            ++lineNo;
            const QString line = QString::fromUtf8(file.readLine()).trimmed();
            if (line.isEmpty() || line.startsWith(u'#'))
                continue;
            const QStringList fields = line.split(u'\t');
            if (fields.size() < 2 || fields.at(0).isEmpty() || fields.at(1).isEmpty()) {
                qCWarning(lcText) << kWordListPath << "line" << lineNo << "is malformed:" << line;
                continue;
            }
            Entry e;
            e.gloss = fields.at(1);
            if (fields.size() >= 3 && fields.at(2).size() == 1)
                e.tag = fields.at(2).at(0).toLatin1();
            lex.entries.insert(fields.at(0), e);
        }
    }
    for (const GrammarWord &g : kGrammarWords) {
        Entry &e = lex.entries[QString::fromUtf8(g.word)];
        e.role = g.role;
        e.text = QString::fromUtf8(g.text);
        e.plural = g.plural;
        if (g.role != Role::Measure)
            e.gloss.clear();
    }
    for (auto it = lex.entries.cbegin(); it != lex.entries.cend(); ++it)
        lex.maxWordLength = std::max(lex.maxWordLength, codePointCount(it.key()));
    return lex;
}

const Lexicon &lexicon()
{
    static const Lexicon lex = buildLexicon(); // thread-safe initialisation (C++11)
    return lex;
}

// ---------------------------------------------------------------------------------------------
// Numbers

int numeralValue(char32_t cp)
{
    switch (cp) {
    case U'零':
    case U'〇':
        return 0;
    case U'一':
        return 1;
    case U'二':
    case U'两':
        return 2;
    case U'三':
        return 3;
    case U'四':
        return 4;
    case U'五':
        return 5;
    case U'六':
        return 6;
    case U'七':
        return 7;
    case U'八':
        return 8;
    case U'九':
        return 9;
    case U'十':
        return 10;
    case U'百':
        return 100;
    case U'千':
        return 1000;
    default:
        return -1;
    }
}

// "十二" -> 12, "两百" -> 200, "二零二三" -> 2023 (digit by digit, as years are written).
long long parseNumeral(std::u32string_view cps)
{
    const bool hasUnit =
        std::any_of(cps.begin(), cps.end(), [](char32_t c) { return numeralValue(c) >= 10; });
    long long total = 0;
    if (!hasUnit) {
        for (const char32_t c : cps)
            total = std::min(total * 10 + numeralValue(c), 1'000'000'000LL);
        return total;
    }
    long long digit = -1;
    for (const char32_t c : cps) {
        const int v = numeralValue(c);
        if (v >= 10) {
            total += (digit < 0 ? 1 : digit) * v;
            digit = -1;
        } else {
            digit = v;
        }
    }
    return total + std::max(digit, 0LL);
}

QString numberWord(long long n)
{
    static const char *const kSmall[] = {"zero",    "one",     "two",       "three",    "four",
                                         "five",    "six",     "seven",     "eight",    "nine",
                                         "ten",     "eleven",  "twelve",    "thirteen", "fourteen",
                                         "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
    static const char *const kTens[] = {"",      "",      "twenty",  "thirty", "forty",
                                        "fifty", "sixty", "seventy", "eighty", "ninety"};
    if (n >= 0 && n < 20)
        return QString::fromLatin1(kSmall[n]);
    if (n < 100) {
        QString s = QString::fromLatin1(kTens[n / 10]);
        if (n % 10)
            s += u'-' + QString::fromLatin1(kSmall[n % 10]);
        return s;
    }
    return QString::number(n);
}

// ---------------------------------------------------------------------------------------------
// English plurals, for the last word of a gloss ("birthday party" -> "birthday parties").

QString pluralOf(const QString &phrase)
{
    static const QHash<QString, QString> kIrregular = {
        {QStringLiteral("child"), QStringLiteral("children")},
        {QStringLiteral("person"), QStringLiteral("people")},
        {QStringLiteral("man"), QStringLiteral("men")},
        {QStringLiteral("woman"), QStringLiteral("women")},
        {QStringLiteral("mouse"), QStringLiteral("mice")},
        {QStringLiteral("goose"), QStringLiteral("geese")},
        {QStringLiteral("foot"), QStringLiteral("feet")},
        {QStringLiteral("tooth"), QStringLiteral("teeth")},
        {QStringLiteral("knife"), QStringLiteral("knives")},
        {QStringLiteral("leaf"), QStringLiteral("leaves")},
        {QStringLiteral("wolf"), QStringLiteral("wolves")},
        {QStringLiteral("shelf"), QStringLiteral("shelves")},
    };
    static const QSet<QString> kUnchanged = {
        QStringLiteral("sheep"),  QStringLiteral("fish"),   QStringLiteral("deer"),
        QStringLiteral("shrimp"), QStringLiteral("rice"),   QStringLiteral("water"),
        QStringLiteral("snow"),   QStringLiteral("rain"),   QStringLiteral("grass"),
        QStringLiteral("sand"),   QStringLiteral("hair"),   QStringLiteral("food"),
        QStringLiteral("music"),  QStringLiteral("bamboo"), QStringLiteral("ice"),
        QStringLiteral("fog"),    QStringLiteral("milk"),   QStringLiteral("tea"),
        QStringLiteral("coffee"), QStringLiteral("meat"),   QStringLiteral("bread"),
    };
    const qsizetype space = phrase.lastIndexOf(u' ');
    const QString prefix = phrase.left(space + 1);
    const QString word = phrase.mid(space + 1);
    if (word.isEmpty() || !word.at(0).isLower() || kUnchanged.contains(word))
        return phrase;
    if (const auto it = kIrregular.constFind(word); it != kIrregular.cend())
        return prefix + *it;
    const auto endsWith = [&](const char *s) { return word.endsWith(QLatin1String(s)); };
    if (endsWith("ss") || endsWith("us") || endsWith("x") || endsWith("z") || endsWith("ch") ||
        endsWith("sh"))
        return prefix + word + QStringLiteral("es");
    if (endsWith("s")) // already plural: "clothes", "fireworks", "glasses"
        return phrase;
    if (word.size() > 1 && word.endsWith(u'y') &&
        !QStringLiteral("aeiou").contains(word.at(word.size() - 2)))
        return prefix + word.chopped(1) + QStringLiteral("ies");
    return prefix + word + u's';
}

// ---------------------------------------------------------------------------------------------
// Segmentation of a run of Han characters.

struct HanToken
{
    enum Kind
    {
        Known,
        Number,
        Unknown
    } kind = Unknown;
    QString text;
    const Entry *entry = nullptr; // Known
    long long value = 0;          // Number
};

std::vector<HanToken> segment(std::u32string_view run, const Lexicon &lex)
{
    // Costs: a word 2, an unknown character 3, so that explaining characters with words wins
    // and fewer words win. Ties go to the longer first word: candidates are tried longest
    // first and only a strictly better one replaces the best so far.
    constexpr int kWordCost = 2;
    constexpr int kUnknownCost = 3;
    const std::size_t n = run.size();
    std::vector<int> cost(n + 1, std::numeric_limits<int>::max());
    std::vector<std::size_t> length(n + 1, 1);
    std::vector<HanToken::Kind> kind(n + 1, HanToken::Unknown);
    cost[n] = 0;
    for (std::size_t i = n; i-- > 0;) {
        const std::size_t longest =
            std::min<std::size_t>(n - i, static_cast<std::size_t>(lex.maxWordLength));
        std::size_t numeralRun = 0;
        while (i + numeralRun < n && numeralValue(run[i + numeralRun]) >= 0)
            ++numeralRun;
        const std::size_t upper = std::max(longest, numeralRun);
        for (std::size_t len = upper; len >= 1; --len) {
            HanToken::Kind k = HanToken::Unknown;
            int c = kUnknownCost;
            if (len <= longest &&
                lex.entries.contains(QString::fromUcs4(run.data() + i, qsizetype(len)))) {
                k = HanToken::Known;
                c = kWordCost;
            } else if (len <= numeralRun) {
                k = HanToken::Number;
                c = kWordCost;
            } else if (len != 1) {
                continue;
            }
            if (c + cost[i + len] < cost[i]) {
                cost[i] = c + cost[i + len];
                length[i] = len;
                kind[i] = k;
            }
        }
    }
    std::vector<HanToken> tokens;
    for (std::size_t i = 0; i < n; i += length[i]) {
        const std::u32string_view piece = run.substr(i, length[i]);
        const QString text = QString::fromUcs4(piece.data(), qsizetype(piece.size()));
        if (kind[i] == HanToken::Unknown && !tokens.empty() &&
            tokens.back().kind == HanToken::Unknown) {
            tokens.back().text += text; // one unknown word, not one per character
            continue;
        }
        HanToken t;
        t.kind = kind[i];
        t.text = text;
        if (t.kind == HanToken::Known)
            t.entry = &*lex.entries.constFind(text);
        else if (t.kind == HanToken::Number)
            t.value = parseNumeral(piece);
        tokens.push_back(std::move(t));
    }
    return tokens;
}

// ---------------------------------------------------------------------------------------------
// A clause: words in Chinese order arranged into English.

struct Item
{
    enum Kind
    {
        Np,
        Pp,
        Vp,
        Quant,
        Zai,
        De,
        And
    };

    explicit Item(Kind k, QStringList w = {}, QString p = {})
        : kind(k), words(std::move(w)), prep(std::move(p))
    {
    }

    Kind kind;
    QStringList words; // Np, Vp: glosses; Pp: the object; Quant, And: the word (may be empty)
    QString prep;      // Pp
    int head = -1;     // Np: the word pluralised when `plural`
    bool plural = false;
    bool measured = false;         // Quant: a measure word has been taken
    bool pluralIfMeasured = false; // Quant of digits: "3只猫" is plural, "2023年" is not
};

QString renderNp(const Item &np)
{
    QStringList words = np.words;
    if (np.plural && np.head >= 0 && np.head < words.size())
        words[np.head] = pluralOf(words[np.head]);
    return words.join(u' ');
}

// English order for a clause without 的 markers: everything in order, place phrases last
// ("狗 在海滩上 跑" -> "dog running on beach").
QStringList renderItems(const std::vector<Item> &items)
{
    QStringList main;
    QStringList places;
    // A conjunction is written only between two words: not at either end, and once where an
    // unknown word between two of them was left out ("狗和龘和猫" -> "dog and cat").
    QString conjunction;
    const auto append = [&](const QString &words) {
        if (words.isEmpty())
            return;
        if (!conjunction.isEmpty() && !main.isEmpty())
            main << conjunction;
        conjunction.clear();
        main << words;
    };
    for (const Item &it : items) {
        switch (it.kind) {
        case Item::Np:
            append(renderNp(it));
            break;
        case Item::Vp:
        case Item::Quant:
            append(it.words.join(u' '));
            break;
        case Item::Pp:
            places << it.prep + u' ' + it.words.join(u' ');
            break;
        case Item::And:
            if (conjunction.isEmpty())
                conjunction = it.words.join(u' ');
            break;
        case Item::Zai:
        case Item::De:
            break;
        }
    }
    main << places;
    return main;
}

Item makePp(const QString &prep, const Item &np)
{
    return Item(Item::Pp, {renderNp(np)}, prep);
}

// 在 + place (no location word) is "at place"; any other 在 (正在, 在 + verb) says nothing.
void resolveZai(std::vector<Item> &items)
{
    std::vector<Item> out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (items[i].kind != Item::Zai) {
            out.push_back(items[i]);
        } else if (i + 1 < items.size() && items[i + 1].kind == Item::Np) {
            out.push_back(makePp(QStringLiteral("at"), items[i + 1]));
            ++i;
        }
    }
    items = std::move(out);
}

// "M 的 H": M before H for adjectives and nouns (红色的车 "red car"), after it for place
// phrases (海滩上的狗 "dog on beach") and clauses with a verb (在海边玩的孩子 "child playing at
// seaside").
Item combine(std::vector<Item> m, Item h)
{
    resolveZai(m);
    if (!m.empty() && m.front().kind == Item::Quant) {
        const Item q = m.front();
        m.erase(m.begin());
        if (!q.words.isEmpty() && !q.words.first().isEmpty()) {
            h.words.prepend(q.words.first());
            if (h.head >= 0)
                ++h.head;
        }
        h.plural = h.plural || q.plural;
    }
    for (Item &it : m) {
        if (it.kind == Item::Np && it.plural && it.head < 0) {
            it.plural = false; // "两个红色的车": the number's plural belongs to the noun
            h.plural = true;
        }
    }
    const bool hasVerb =
        std::any_of(m.begin(), m.end(), [](const Item &it) { return it.kind == Item::Vp; });
    const bool hasPlace =
        std::any_of(m.begin(), m.end(), [](const Item &it) { return it.kind == Item::Pp; });
    Item out(Item::Np);
    if (hasVerb) {
        out.words << renderNp(h) << renderItems(m);
    } else if (hasPlace) {
        std::vector<Item> modifiers;
        std::vector<Item> places;
        for (const Item &it : m)
            (it.kind == Item::Pp ? places : modifiers).push_back(it);
        out.words << renderItems(modifiers) << renderNp(h) << renderItems(places);
    } else {
        out.words << renderItems(m) << renderNp(h);
    }
    out.words.removeAll(QString());
    return out;
}

// Reduces every 的 at or after `from`, left to right. The modifier reaches back to the last
// conjunction (or `from`); the head is the noun phrase right after 的.
void reduceDe(std::vector<Item> &items, std::size_t from)
{
    for (std::size_t d = from; d < items.size(); ++d) {
        if (items[d].kind != Item::De)
            continue;
        std::size_t start = d;
        while (start > from && items[start - 1].kind != Item::And)
            --start;
        const bool hasHead = d + 1 < items.size() && items[d + 1].kind == Item::Np;
        if (start == d || !hasHead) {
            items.erase(items.begin() + std::ptrdiff_t(d)); // nothing to join
            --d;
            continue;
        }
        std::vector<Item> m(items.begin() + std::ptrdiff_t(start),
                            items.begin() + std::ptrdiff_t(d));
        Item np = combine(std::move(m), items[d + 1]);
        items.erase(items.begin() + std::ptrdiff_t(start), items.begin() + std::ptrdiff_t(d + 2));
        items.insert(items.begin() + std::ptrdiff_t(start), std::move(np));
        d = start;
    }
}

class ClauseBuilder
{
public:
    void addWord(const QString &gloss, char tag)
    {
        const bool noun = tag == 'n';
        if (tag == 'v') {
            resolveZaiAtEnd();
            m_items.push_back(Item(Item::Vp, {gloss}));
            return;
        }
        Item &np = openNp();
        np.words << gloss;
        if (noun)
            np.head = int(np.words.size()) - 1;
    }

    // English, a file name, digits: kept as written and never made plural.
    void addForeign(const QString &word)
    {
        bool isNumber = false;
        const long long n = word.toLongLong(&isNumber);
        if (isNumber && n >= 0) {
            Item q(Item::Quant, {word});
            q.pluralIfMeasured = n > 1;
            m_items.push_back(q);
            return;
        }
        Item &np = openNp();
        np.words << word;
        np.head = -1;
    }

    void addNumber(long long n)
    {
        Item q(Item::Quant, {n == 1 ? QString() : numberWord(n)});
        q.plural = n > 1;
        m_items.push_back(q);
    }

    void addGrammar(const Entry &e)
    {
        switch (e.role) {
        case Role::Vocabulary:
            addWord(e.gloss, e.tag);
            break;
        case Role::Drop:
            break;
        case Role::Location:
            addLocation(e.text);
            break;
        case Role::Measure:
            if (!m_items.empty() && m_items.back().kind == Item::Quant &&
                !m_items.back().measured) {
                Item &q = m_items.back();
                q.measured = true;
                q.plural = q.plural || e.plural || q.pluralIfMeasured;
            } else if (!e.gloss.isEmpty()) {
                addWord(e.gloss, e.tag);
            }
            break;
        case Role::Quantity: {
            Item q(Item::Quant, {e.text});
            q.plural = e.plural;
            m_items.push_back(q);
            break;
        }
        case Role::Zai:
            m_items.push_back(Item(Item::Zai));
            break;
        case Role::De:
            m_items.push_back(Item(Item::De));
            break;
        case Role::And:
            resolveZaiAtEnd();
            m_items.push_back(Item(Item::And, {e.text}));
            break;
        case Role::Plural:
            if (!m_items.empty() && m_items.back().kind == Item::Np)
                m_items.back().plural = true;
            break;
        }
    }

    void addConjunction()
    {
        resolveZaiAtEnd();
        m_items.push_back(Item(Item::And, {QStringLiteral("and")}));
    }

    // The clause in English; the builder is empty afterwards.
    QStringList finish()
    {
        reduceDe(m_items, 0);
        resolveZai(m_items);
        QStringList out = renderItems(m_items);
        m_items.clear();
        return out;
    }

private:
    // The noun phrase a noun or modifier joins: the last item if it is one, a number phrase
    // turned into one, or a new one.
    Item &openNp()
    {
        if (!m_items.empty() && m_items.back().kind == Item::Np)
            return m_items.back();
        if (!m_items.empty() && m_items.back().kind == Item::Quant) {
            Item &q = m_items.back();
            q.kind = Item::Np;
            q.words.removeAll(QString());
            q.head = -1;
            return q;
        }
        m_items.push_back(Item(Item::Np));
        return m_items.back();
    }

    void resolveZaiAtEnd()
    {
        const std::size_t n = m_items.size();
        if (n >= 2 && m_items[n - 2].kind == Item::Zai && m_items[n - 1].kind == Item::Np) {
            Item pp = makePp(QStringLiteral("at"), m_items[n - 1]);
            m_items.pop_back();
            m_items.back() = std::move(pp);
        }
    }

    // "X上" -> "on X"; a preceding 在 belongs to it.
    void addLocation(const QString &prep)
    {
        std::size_t from = 0;
        for (std::size_t i = m_items.size(); i-- > 0;) {
            if (m_items[i].kind == Item::Zai || m_items[i].kind == Item::And) {
                from = i + 1;
                break;
            }
        }
        reduceDe(m_items, from);
        if (m_items.empty() || m_items.back().kind != Item::Np)
            return; // "上面" on its own says nothing
        Item pp = makePp(prep, m_items.back());
        m_items.pop_back();
        if (!m_items.empty() && m_items.back().kind == Item::Zai)
            m_items.pop_back();
        m_items.push_back(std::move(pp));
    }

    std::vector<Item> m_items;
};

// ---------------------------------------------------------------------------------------------
// The query: terms, words, runs.

bool isWhitespace(QChar c)
{
    return c.isSpace() || c == QChar(0x3000);
}

bool isOpeningQuote(QChar c)
{
    return c == u'"' || c == QChar(0x201C) || c == QChar(0x300C) || c == QChar(0x300E);
}

bool isClosingQuote(QChar open, QChar c)
{
    if (open == u'"')
        return c == u'"';
    if (open == QChar(0x201C))
        return c == QChar(0x201D) || c == u'"';
    if (open == QChar(0x300C))
        return c == QChar(0x300D);
    return c == QChar(0x300F); // 『 』
}

// Punctuation that ends a clause inside Chinese text.
bool isClauseBreak(char32_t cp)
{
    static const std::u32string_view kBreaks = U"，。；：！？…（）《》【】〈〉·～,;:!?()[]{}<>~";
    return kBreaks.find(cp) != std::u32string_view::npos;
}

class Translator
{
public:
    explicit Translator(const Lexicon &lex) : m_lex(lex) {}

    // Feeds one whitespace-separated word into the current clause.
    void addWord(const QString &word)
    {
        // A word without Han (English, a file name such as "IMG_2041.jpg") is kept whole,
        // unless Chinese punctuation in it ends a clause ("dog。").
        const bool cjkBreak = std::any_of(word.cbegin(), word.cend(), [](QChar c) {
            return c.unicode() >= 0x80 && (c == u'、' || isClauseBreak(c.unicode()));
        });
        if (!containsHan(word) && !cjkBreak) {
            m_clause.addForeign(word);
            return;
        }
        const std::u32string cps = toUcs4(word);
        std::size_t i = 0;
        while (i < cps.size()) {
            const char32_t cp = cps[i];
            if (unicode::isCjkIdeograph(cp)) {
                std::size_t j = i;
                while (j < cps.size() && unicode::isCjkIdeograph(cps[j]))
                    ++j;
                addHanRun(std::u32string_view(cps).substr(i, j - i));
                i = j;
            } else if (cp == U'、') {
                m_clause.addConjunction();
                ++i;
            } else if (isClauseBreak(cp)) {
                flushClause();
                ++i;
            } else {
                std::size_t j = i;
                while (j < cps.size() && !unicode::isCjkIdeograph(cps[j]) && cps[j] != U'、' &&
                       !isClauseBreak(cps[j]))
                    ++j;
                m_clause.addForeign(QString::fromUcs4(cps.data() + i, qsizetype(j - i)));
                i = j;
            }
        }
    }

    // Ends the clause being built and appends its English to the output.
    void flushClause() { m_out << m_clause.finish(); }

    void addVerbatim(const QString &term)
    {
        flushClause();
        m_out << term;
    }

    // The English of `text` on its own (a quoted phrase, a negative term).
    QString translateAlone(const QString &text)
    {
        flushClause();
        const QStringList saved = std::exchange(m_out, {});
        const bool collecting = std::exchange(m_collect, false);
        for (const QString &w : text.split(u' ', Qt::SkipEmptyParts))
            addWord(w);
        flushClause();
        m_collect = collecting;
        const QString english = m_out.join(u' ');
        m_out = saved;
        return english;
    }

    QString text()
    {
        flushClause();
        return m_out.join(u' ');
    }

    bool translated = false;
    QStringList untranslated;
    QStringList hanWords; // of the positive part, as segmented

private:
    static std::u32string toUcs4(const QString &s)
    {
        const QList<uint> ucs4 = s.toUcs4();
        return std::u32string(ucs4.begin(), ucs4.end());
    }

    void addHanRun(std::u32string_view run)
    {
        for (const HanToken &t : segment(run, m_lex)) {
            if (m_collect && t.kind != HanToken::Number && !hanWords.contains(t.text))
                hanWords << t.text;
            switch (t.kind) {
            case HanToken::Known:
                translated = true;
                m_clause.addGrammar(*t.entry);
                break;
            case HanToken::Number:
                translated = true;
                m_clause.addNumber(t.value);
                break;
            case HanToken::Unknown:
                if (!untranslated.contains(t.text))
                    untranslated << t.text;
                break;
            }
        }
    }

    const Lexicon &m_lex;
    bool m_collect = true;
    ClauseBuilder m_clause;
    QStringList m_out;
};

} // namespace

bool containsHan(const QString &text)
{
    for (qsizetype i = 0; i < text.size(); ++i) {
        char32_t cp = text.at(i).unicode();
        if (text.at(i).isHighSurrogate() && i + 1 < text.size() &&
            text.at(i + 1).isLowSurrogate()) {
            cp = QChar::surrogateToUcs4(text.at(i), text.at(i + 1));
            ++i;
        }
        if (unicode::isCjkIdeograph(cp))
            return true;
    }
    return false;
}

QueryTranslation translateChineseQuery(const QString &query)
{
    QueryTranslation result;
    result.text = query;
    if (!containsHan(query))
        return result;

    Translator tr(lexicon());
    const qsizetype n = query.size();
    qsizetype i = 0;
    while (i < n) {
        if (isWhitespace(query.at(i))) {
            ++i;
            continue;
        }
        const bool negative = (query.at(i) == u'-' || query.at(i) == QChar(0xFF0D)) && i + 1 < n &&
                              !isWhitespace(query.at(i + 1));
        const qsizetype start = negative ? i + 1 : i;
        qsizetype end = start; // one past the term
        QString content;
        bool quoted = false;
        if (isOpeningQuote(query.at(start))) {
            const QChar open = query.at(start);
            qsizetype close = start + 1;
            while (close < n && !isClosingQuote(open, query.at(close)))
                ++close;
            if (close < n) {
                quoted = true;
                content = query.mid(start + 1, close - start - 1);
                end = close + 1;
            }
        }
        if (!quoted) {
            end = start;
            while (end < n && !isWhitespace(query.at(end)) &&
                   !(end > start && isOpeningQuote(query.at(end))))
                ++end;
            if (end == start) { // an unmatched quote mark
                ++i;
                continue;
            }
            content = query.mid(start, end - start);
            if (isOpeningQuote(content.front()))
                content.remove(0, 1);
        }
        const QString original = query.mid(i, end - i);
        i = end;

        if (!containsHan(content)) {
            if (negative || quoted)
                tr.addVerbatim(original); // "-people", "IMG_2041": the search engine's syntax
            else
                tr.addWord(content);
            continue;
        }
        if (!negative && !quoted) {
            tr.addWord(content);
            continue;
        }
        const QString english = tr.translateAlone(content);
        if (english.isEmpty())
            continue;
        const bool oneWord = !english.contains(u' ');
        if (negative)
            tr.addVerbatim(oneWord ? u'-' + english : QStringLiteral("-\"%1\"").arg(english));
        else
            tr.addVerbatim(u'"' + english + u'"');
    }
    result.untranslated = tr.untranslated;
    result.hanWords = tr.hanWords;
    if (tr.translated)
        result.text = tr.text();
    result.translated = tr.translated;
    return result;
}

} // namespace imago
