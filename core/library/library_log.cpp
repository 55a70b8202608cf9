#include "library_log.h"

namespace imago {
Q_LOGGING_CATEGORY(lcLibrary, "imago.library", QtInfoMsg)
}
