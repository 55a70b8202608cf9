// unicode_text.h - the Unicode primitives the tokenizers need (internal to imago_text).
//
// Code points are char32_t throughout. Character properties come from Qt Core's tables, which
// were compared with Python's unicodedata (both Unicode 14.0) on all 0x110000 code points:
// general category, combining class and canonical decomposition agree everywhere; the only
// lower-casing difference (U+0130) is handled in lowerCase() below.
//
// All functions are pure and thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace imago::unicode {

inline constexpr char32_t kReplacementChar = 0xFFFD;

// Decodes UTF-8 without ever failing. Each maximal ill-formed subsequence (Unicode's
// "substitution of maximal subparts" practice) becomes one U+FFFD. Exception: a 3-byte
// encoded surrogate (ED A0..BF xx, as produced by WTF-8/CESU-8 writers) decodes to the
// surrogate code point itself, so callers see a category-Cs character (which the BERT
// cleaning step deletes, as Python does with a lone surrogate) instead of U+FFFD.
std::u32string decodeUtf8(std::string_view utf8);

// Appends the UTF-8 form of `cp`; surrogates and values above U+10FFFF are written as U+FFFD
// so the output is always valid UTF-8.
void appendUtf8(std::string &out, char32_t cp);
std::string encodeUtf8(std::u32string_view cps);

// Default (full) lower-case mapping of one code point on its own, without context rules, as
// Python's str.lower() applied to a single character: U+03A3 -> U+03C3 always. Appends one or
// two code points to `out`.
void appendLowerCase(std::u32string &out, char32_t cp);

// Appends the full canonical decomposition of one code point. Canonical ordering across
// neighbouring characters is then canonicalOrder()'s job; the two together are NFD.
void appendCanonicalDecomposition(std::u32string &out, char32_t cp);

// The canonical ordering step of NFD: inside every run of non-starters (combining class != 0)
// sorts stably by combining class. `tags` must have the same length and is permuted alongside
// (the tokenizer uses it to remember which input character each code point came from).
void canonicalOrder(std::u32string &cps, std::vector<std::size_t> &tags);

// Canonical combining class (0 for starters).
int combiningClass(char32_t cp);

// True for general category Mn (non-spacing mark).
bool isNonSpacingMark(char32_t cp);

// BERT's notion of characters (see the tokenizer spec in shared/flava-reference/README.md).
// Control: categories Cc, Cf, Cs, Co, Cn except TAB, LF, CR.
bool isBertControl(char32_t cp);
// Whitespace: space, TAB, LF, CR and category Zs.
bool isBertWhitespace(char32_t cp);
// Punctuation: ASCII 33-47, 58-64, 91-96, 123-126 and every category P*.
bool isBertPunctuation(char32_t cp);
// The CJK ideograph blocks of BERT's _is_chinese_char (not kana, not Hangul).
bool isCjkIdeograph(char32_t cp);

} // namespace imago::unicode
