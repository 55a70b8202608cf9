// first_run_page.h - what a person sees before a model is set up: what Imago needs, a button
// to download the model and one to choose a model folder already on disk, and the error of
// the last attempt, if any.
//
// Download seam: the in-app download is not built yet (`imago-cli model download` is being
// written). setDownloadAvailable(true) enables the button; its click emits downloadRequested()
// for whoever implements it. Until then the button is disabled with a note saying so.
// GUI thread only.
#pragma once

#include <QWidget>

class QLabel;
class QPushButton;

namespace imago {

class FirstRunPage : public QWidget
{
    Q_OBJECT
public:
    explicit FirstRunPage(QWidget *parent = nullptr);

    void setDownloadAvailable(bool available);
    void setBusy(bool busy, const QString &message = {});
    void setError(const QString &message);
    // Whether `dir` looks like a model folder (config.json, weights, vocab.txt); else why not.
    static QString checkModelFolder(const QString &dir);

public Q_SLOTS:
    void chooseModelFolder();

Q_SIGNALS:
    void modelFolderChosen(const QString &dir);
    void downloadRequested();

protected:
    void changeEvent(QEvent *event) override;

private:
    void retranslate();

    bool m_downloadAvailable = false;
    QLabel *m_icon, *m_title, *m_text, *m_note, *m_status;
    QPushButton *m_download, *m_choose;
};

} // namespace imago
