// detail_pane.h - the selected photo: a larger preview (EXIF orientation applied, decoded on
// the I/O pool) and its facts: folder, date taken, file and pixel size, camera, scores.
//
// "Why?" (when the search had words): a heat map over the preview of the regions that make
// the photo match them (match_explainer.h: each cell of a 4x4 grid blanked in turn, the ITM
// match probability measured again), computed on demand on the search pool with a progress
// bar, cached per photo and text; red where the match drops most without that part.
//
// GUI thread only; the decode runs through QtConcurrent and a newer selection makes an older
// decode's result be ignored.
#pragma once

#include "match_explainer.h"
#include "search_engine.h"

#include <QFutureWatcher>
#include <QHash>
#include <QWidget>

#include <optional>

class QLabel;
class QProgressBar;
class QPushButton;
class QFormLayout;
class QThreadPool;

namespace imago {

class LibraryService;

struct PhotoPreview
{
    QImage image;
    QString error;
    qint64 fileBytes = -1;
    QDateTime capturedAt; // floating wall-clock time
    QString camera;
    QDateTime modified;
    int width = 0, height = 0;
};

class DetailPane : public QWidget
{
    Q_OBJECT
public:
    explicit DetailPane(QThreadPool *pool, QWidget *parent = nullptr);

    void showResult(const std::optional<SearchResult> &result);
    // Where "Why?" runs, and the words it explains (empty: no "Why?").
    void setExplainService(LibraryService *service) { m_service = service; }
    void setQuery(const QString &text);
    // Starts (or shows the cached) heat map for the current photo; false when there is none
    // to compute (no photo, no words, no library).
    bool explainCurrent();
    bool isExplaining() const { return m_explaining; }
    // The heat map of the current photo and words, when computed.
    const MatchExplanation *currentExplanation() const;
    bool isShowingHeatMap() const;
    QString currentPath() const { return m_result ? m_result->path : QString(); }
    // Decoding for the preview, any thread.
    static PhotoPreview loadPreview(const QString &path, int maxSide);

Q_SIGNALS:
    void explanationReady(const QString &path);
    void explanationFailed(const QString &path, const QString &message);

protected:
    void changeEvent(QEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    void retranslate();
    void fill();
    void updatePixmap();

    QString explanationKey() const;

    QThreadPool *m_pool;
    LibraryService *m_service = nullptr;
    QString m_query;
    QHash<QString, MatchExplanation> m_explained; // by path + '\n' + words
    bool m_explaining = false;
    quint64 m_explainTicket = 0;
    QPushButton *m_why = nullptr;
    QProgressBar *m_whyProgress = nullptr;
    QLabel *m_whyNote = nullptr;
    std::optional<SearchResult> m_result;
    std::optional<PhotoPreview> m_preview;
    quint64 m_ticket = 0;
    QLabel *m_image = nullptr;
    QLabel *m_name = nullptr;
    QLabel *m_empty = nullptr;
    QWidget *m_facts = nullptr;
    QFormLayout *m_form = nullptr;
    QLabel *m_folderLabel, *m_folder, *m_dateLabel, *m_date, *m_sizeLabel, *m_size, *m_cameraLabel,
        *m_camera, *m_scoreLabel, *m_score, *m_matchLabel, *m_match;
};

} // namespace imago
