// text_log.h - the logging category of imago_text ("imago.text").
#pragma once

#include <QLoggingCategory>

namespace imago {
Q_DECLARE_LOGGING_CATEGORY(lcText)
}
