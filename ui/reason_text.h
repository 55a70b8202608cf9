// reason_text.h - a Reason (reason.h) as a sentence in the UI's language: built from the
// reason's code and arguments through Qt's translations, not from the English sentence core
// wrote. What the arguments cannot say in another language stays as core gave it: a decoder
// library's own message ("Huffman table 0x00 was not defined") is quoted as it is. A code
// this version does not know, or a stored reason without its arguments (catalogs written
// before reason codes), gets the code's short sentence, or the English text. GUI thread or any
// thread (only reads the installed translators).
#pragma once

#include "reason.h"

#include <QString>

namespace imago {

QString localizedReason(const Reason &reason);

} // namespace imago
