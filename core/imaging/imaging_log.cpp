// imaging_log.cpp - see imaging_log.h.
#include "imaging_log.h"

namespace imago {
// Debug messages (per-file decode failures, libjpeg warnings on files that still decoded) are
// off unless enabled by logging rules: the indexer reports failures itself.
Q_LOGGING_CATEGORY(lcImaging, "imago.imaging", QtInfoMsg)
} // namespace imago
