// detail_pane.h - the selected photo: a larger preview (EXIF orientation applied, decoded on
// the I/O pool) and its facts: folder, date taken, file and pixel size, camera, scores.
//
// GUI thread only; the decode runs through QtConcurrent and a newer selection makes an older
// decode's result be ignored.
#pragma once

#include "search_engine.h"

#include <QFutureWatcher>
#include <QWidget>

#include <optional>

class QLabel;
class QFormLayout;
class QThreadPool;

namespace imago {

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
    QString currentPath() const { return m_result ? m_result->path : QString(); }
    // Decoding for the preview, any thread.
    static PhotoPreview loadPreview(const QString &path, int maxSide);

protected:
    void changeEvent(QEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    void retranslate();
    void fill();
    void updatePixmap();

    QThreadPool *m_pool;
    std::optional<SearchResult> m_result;
    std::optional<PhotoPreview> m_preview;
    quint64 m_ticket = 0;
    QLabel *m_image = nullptr;
    QLabel *m_name = nullptr;
    QLabel *m_empty = nullptr;
    QWidget *m_facts = nullptr;
    QFormLayout *m_form = nullptr;
    QLabel *m_folderLabel, *m_folder, *m_dateLabel, *m_date, *m_sizeLabel, *m_size,
        *m_cameraLabel, *m_camera, *m_scoreLabel, *m_score, *m_matchLabel, *m_match;
};

} // namespace imago
