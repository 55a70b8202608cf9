// app_settings.h - the desktop app's preferences, stored with QSettings (organisation "imago",
// application "imago"): library and model folders, device and threads, search tuning,
// thumbnail size, language, search history and folder exclusions.
//
// A plain value type: load() reads everything, save() writes everything. GUI thread only
// (QSettings itself is reentrant, but one instance per thread).
#pragma once

#include <QString>
#include <QStringList>

namespace imago {

struct AppSettings
{
    enum class Device { Auto, Cpu, Gpu };

    QString libraryDir;     // empty: Library::defaultDirectory()
    QString modelDir;       // empty: none chosen yet (first-run page)
    Device device = Device::Auto;
    int threads = 0;        // 0: automatic (the idle cores)
    int rerankDepth = 20;   // how many of the first results the ITM head rescores
    double minConfidence = 0; // hide reranked results below this match probability (0..1)
    int thumbnailSize = 160;  // grid cell thumbnails, pixels (longest side)
    bool showConfidence = true;
    QString language;       // empty: follow the system locale; else "en" or "zh_CN"
    QStringList history;    // most recent first
    QStringList excludedFolders;

    static constexpr int kMaxHistory = 30;

    static AppSettings load();
    void save() const;
    // Puts `query` first in the history (moving it when already there), trimming the list.
    void remember(const QString &query);
};

} // namespace imago
