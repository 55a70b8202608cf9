// imaging_log.h - the logging category of the imaging library ("imago.imaging").
#pragma once

#include <QLoggingCategory>

namespace imago {
Q_DECLARE_LOGGING_CATEGORY(lcImaging)
} // namespace imago
