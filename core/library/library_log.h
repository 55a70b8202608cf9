// library_log.h - the logging category of core/library ("imago.library").
#pragma once

#include <QLoggingCategory>

namespace imago {
Q_DECLARE_LOGGING_CATEGORY(lcLibrary)
}
