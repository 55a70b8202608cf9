// text_log.cpp - see text_log.h.
#include "text_log.h"

namespace imago {
// Debug messages (which tokenizer a folder gave) are off unless enabled by logging rules.
Q_LOGGING_CATEGORY(lcText, "imago.text", QtInfoMsg)
} // namespace imago
