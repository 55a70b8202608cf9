// download_log.h - the logging category of core/download ("imago.download").
#pragma once

#include <QLoggingCategory>

Q_DECLARE_LOGGING_CATEGORY(lcDownload)
