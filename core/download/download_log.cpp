#include "download_log.h"

Q_LOGGING_CATEGORY(lcDownload, "imago.download", QtInfoMsg)
