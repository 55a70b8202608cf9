// unicode_text.cpp - see unicode_text.h.
#include "unicode_text.h"

#include <QChar>
#include <QString>

#include <algorithm>
#include <cstdint>
#include <numeric>

namespace imago::unicode {

namespace {

bool isContinuation(unsigned char b)
{
    return (b & 0xC0) == 0x80;
}

} // namespace

std::u32string decodeUtf8(std::string_view utf8)
{
    std::u32string out;
    out.reserve(utf8.size());
    const std::size_t n = utf8.size();
    std::size_t i = 0;
    while (i < n) {
        const auto b0 = static_cast<unsigned char>(utf8[i]);
        if (b0 < 0x80) {
            out.push_back(b0);
            ++i;
            continue;
        }
        int need = 0;
        char32_t cp = 0;
        // Bounds of the second byte: they exclude overlong forms and values above U+10FFFF.
        unsigned char lo = 0x80;
        unsigned char hi = 0xBF;
        if (b0 >= 0xC2 && b0 <= 0xDF) {
            need = 1;
            cp = b0 & 0x1F;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
            need = 2;
            cp = b0 & 0x0F;
            if (b0 == 0xE0)
                lo = 0xA0;
            // ED A0..BF (surrogates) is deliberately accepted: see the header.
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            need = 3;
            cp = b0 & 0x07;
            if (b0 == 0xF0)
                lo = 0x90;
            if (b0 == 0xF4)
                hi = 0x8F;
        } else {
            out.push_back(kReplacementChar); // stray continuation byte, C0, C1, F5..FF
            ++i;
            continue;
        }
        std::size_t j = i + 1;
        bool ok = true;
        for (int k = 0; k < need; ++k, ++j) {
            if (j >= n) {
                ok = false;
                break;
            }
            const auto b = static_cast<unsigned char>(utf8[j]);
            const bool inRange = k == 0 ? (b >= lo && b <= hi) : isContinuation(b);
            if (!inRange) {
                ok = false;
                break;
            }
            cp = (cp << 6) | (b & 0x3F);
        }
        // On failure the bytes consumed so far form one maximal subpart; the offending byte
        // starts the next sequence.
        out.push_back(ok ? cp : kReplacementChar);
        i = j;
    }
    return out;
}

void appendUtf8(std::string &out, char32_t cp)
{
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        cp = kReplacementChar;
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

std::string encodeUtf8(std::u32string_view cps)
{
    std::string out;
    out.reserve(cps.size());
    for (const char32_t cp : cps)
        appendUtf8(out, cp);
    return out;
}

void appendLowerCase(std::u32string &out, char32_t cp)
{
    // Qt's QChar::toLower() implements the simple case mapping and leaves characters whose
    // full mapping has several code points unchanged. Python's str.lower() uses the full
    // mapping; of SpecialCasing.txt's unconditional lower-case entries only U+0130 (LATIN
    // CAPITAL LETTER I WITH DOT ABOVE) has one, "i" + U+0307. Without this, "İstanbul" would
    // keep its capital I (golden case turkish_dotted_i). Verified: no other code point differs.
    if (cp == 0x0130) {
        out.push_back(U'i');
        out.push_back(0x0307);
        return;
    }
    out.push_back(QChar::toLower(cp));
}

void appendCanonicalDecomposition(std::u32string &out, char32_t cp)
{
    // Fast path: most characters (all of ASCII) have no canonical decomposition. Qt reports
    // Hangul syllables as Canonical too, and QString::normalized() decomposes them
    // algorithmically, so they take the slow path correctly.
    if (cp < 0xC0 || QChar::decompositionTag(cp) != QChar::Canonical) {
        out.push_back(cp);
        return;
    }
    const QString decomposed = QString::fromUcs4(&cp, 1).normalized(QString::NormalizationForm_D);
    for (qsizetype i = 0; i < decomposed.size(); ++i) {
        const QChar c = decomposed.at(i);
        if (c.isHighSurrogate() && i + 1 < decomposed.size() &&
            decomposed.at(i + 1).isLowSurrogate()) {
            out.push_back(QChar::surrogateToUcs4(c, decomposed.at(i + 1)));
            ++i;
        } else {
            out.push_back(c.unicode());
        }
    }
}

int combiningClass(char32_t cp)
{
    return QChar::combiningClass(cp);
}

void canonicalOrder(std::u32string &cps, std::vector<std::size_t> &tags)
{
    Q_ASSERT(cps.size() == tags.size());
    const std::size_t n = cps.size();
    std::size_t i = 0;
    std::vector<std::size_t> order;
    std::u32string runCps;
    std::vector<std::size_t> runTags;
    while (i < n) {
        if (combiningClass(cps[i]) == 0) {
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < n && combiningClass(cps[j]) != 0)
            ++j;
        if (j - i > 1) {
            order.resize(j - i);
            std::iota(order.begin(), order.end(), i);
            std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
                return combiningClass(cps[a]) < combiningClass(cps[b]);
            });
            runCps.clear();
            runTags.clear();
            for (const std::size_t k : order) {
                runCps.push_back(cps[k]);
                runTags.push_back(tags[k]);
            }
            std::copy(runCps.begin(), runCps.end(), cps.begin() + static_cast<std::ptrdiff_t>(i));
            std::copy(runTags.begin(), runTags.end(),
                      tags.begin() + static_cast<std::ptrdiff_t>(i));
        }
        i = j;
    }
}

bool isNonSpacingMark(char32_t cp)
{
    return cp >= 0x300 && QChar::category(cp) == QChar::Mark_NonSpacing;
}

bool isBertControl(char32_t cp)
{
    if (cp == U'\t' || cp == U'\n' || cp == U'\r')
        return false;
    switch (QChar::category(cp)) {
    case QChar::Other_Control:
    case QChar::Other_Format:
    case QChar::Other_Surrogate:
    case QChar::Other_PrivateUse:
    case QChar::Other_NotAssigned:
        return true;
    default:
        return false;
    }
}

bool isBertWhitespace(char32_t cp)
{
    if (cp == U' ' || cp == U'\t' || cp == U'\n' || cp == U'\r')
        return true;
    return QChar::category(cp) == QChar::Separator_Space;
}

bool isBertPunctuation(char32_t cp)
{
    if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) ||
        (cp >= 123 && cp <= 126))
        return true;
    switch (QChar::category(cp)) {
    case QChar::Punctuation_Connector:
    case QChar::Punctuation_Dash:
    case QChar::Punctuation_Open:
    case QChar::Punctuation_Close:
    case QChar::Punctuation_InitialQuote:
    case QChar::Punctuation_FinalQuote:
    case QChar::Punctuation_Other:
        return true;
    default:
        return false;
    }
}

bool isCjkIdeograph(char32_t cp)
{
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
           (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

} // namespace imago::unicode
