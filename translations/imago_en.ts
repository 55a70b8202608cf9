<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US">
<context>
    <name>imago::DetailPane</name>
    <message>
        <source>Select a photo to see it larger, with its details.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Taken</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Size</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Camera</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Similarity</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Match</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unknown</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 × %2 pixels</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (rank %2 before rerank)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1%</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not rescored</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Why?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show which parts of the photo make it match the words</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Red: the parts that make it match “%1” (match %2%; hiding the reddest part lowers it by %3 points).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Looking at each part of the photo…</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>imago::DuplicatesDialog</name>
    <message>
        <source>Duplicates</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Photo</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Size</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Imago changes none of your photos unless you ask: “Move to trash” puts files in the desktop&apos;s trash, from where the file manager can restore them.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show in folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Move to trash…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Look again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Close</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Looking for copies of the same picture…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not look for duplicates: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Exact copies (%n photo(s))</source>
        <translation>
            <numerusform>Exact copies (%n photo)</numerusform>
            <numerusform>Exact copies (%n photos)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Same picture, resized or re-saved (%n photo(s))</source>
        <translation>
            <numerusform>Same picture, resized or re-saved (%n photo)</numerusform>
            <numerusform>Same picture, resized or re-saved (%n photos)</numerusform>
        </translation>
    </message>
    <message>
        <source>No copies found: every photo in the library is a picture of its own.</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n group(s) of copies, %1 photos in all. Select the ones you do not need.</source>
        <translation>
            <numerusform>%n group of copies, %1 photos in all. Select the ones you do not need.</numerusform>
            <numerusform>%n groups of copies, %1 photos in all. Select the ones you do not need.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n photo(s) could not be read and were left out.</source>
        <translation>
            <numerusform>%n photo could not be read and were left out.</numerusform>
            <numerusform>%n photos could not be read and were left out.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Move %n photo(s) to the trash?</source>
        <translation>
            <numerusform>Move %n photo to the trash?</numerusform>
            <numerusform>Move %n photos to the trash?</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>and %n more</source>
        <translation>
            <numerusform>and %n more</numerusform>
            <numerusform>and %n more</numerusform>
        </translation>
    </message>
    <message>
        <source>You can restore them from the trash.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Move to trash</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>These could not be moved to the trash:</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>imago::FileKind</name>
    <message>
        <source>Canon CR3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>video or audio (QuickTime/MP4 family)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SVG vector image</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>XMP metadata (XML)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>property list (XML)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>XML document</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>RTF document</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>HTML document</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>text file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>empty file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Canon CR2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Olympus ORF</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Panasonic RW2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fujifilm RAF</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Photoshop document</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>JPEG 2000 image</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>JPEG XL image</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>OpenEXR image</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PDF document</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ZIP archive (or an Office/ePub document)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ZIP archive (empty)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>macOS .DS_Store file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>binary property list</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>gzip archive</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>7-Zip archive</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>RAR archive</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>executable program</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Windows executable</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Microsoft Office (OLE) document</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SQLite database</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ogg audio/video</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>FLAC audio</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MP3 audio</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Matroska/WebM video</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>QuickTime video</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>WAV audio</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>AVI video</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Adobe DNG</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>camera RAW (TIFF-based)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>imago::FirstRunPage</name>
    <message>
        <source>Welcome to Imago</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Imago finds your photos by what is in them — “a dog on a beach”, “red car at night” — entirely on this computer. To do that it needs its picture-understanding model (FLAVA, about 1.4 GB), once.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Download the model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose model folder…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The download is saved in your user data folder.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Downloading from inside Imago is not available in this version yet. If you already have the model (a folder with config.json, model.safetensors and vocab.txt), choose its folder.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The folder does not exist.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This folder has no config.json: it is not a model folder.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This folder has no model weights (model.safetensors or pytorch_model.bin).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This folder has no vocab.txt.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose the model folder</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>imago::FoldersPanel</name>
    <message>
        <source>Folders</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add folder…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add a folder of photos to the library and index it. You can also drop folders onto the window.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove the selected folder from the library</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Folders to leave out when indexing…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add a folder of photos</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove “%1” from the library?

Its photos will no longer be found. The files themselves are not touched.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Search in this folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Index again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open in file manager</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove from library…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Exclusions…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Excluded folders</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Photos in these folders (and below them) are never indexed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Exclude a folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Where is “%1” now?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Locate folder…</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>imago::IndexingController</name>
    <message>
        <source>This library is being changed by another program; it can be searched but not indexed until that program ends.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The library is not open yet.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>imago::IndexingStatusWidget</name>
    <message>
        <source>less than a minute</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n minute(s)</source>
        <translation>
            <numerusform>%n minute</numerusform>
            <numerusform>%n minutes</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Indexing stopped: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Indexing stopped: %1 new photos indexed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Indexing done: %1 new, %2 unchanged in %3.</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n folder(s) offline.</source>
        <translation>
            <numerusform>%n folder offline.</numerusform>
            <numerusform>%n folders offline.</numerusform>
        </translation>
    </message>
    <message>
        <source>Looking for photos…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 of %2 photos</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 of %2+ photos (still looking)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>paused</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 photos/s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>about %1 left</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop indexing (what is done so far is kept)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Resume</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pause</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n file(s) not indexed…</source>
        <translation>
            <numerusform>%n file not indexed…</numerusform>
            <numerusform>%n files not indexed…</numerusform>
        </translation>
    </message>
    <message>
        <source>Files not indexed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>These files were found but could not be indexed. They are tried again when they change.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>imago::MainWindow</name>
    <message>
        <source>Removing %1…</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Removed %1 (%n photo(s)).</source>
        <translation>
            <numerusform>Removed %1 (%n photo).</numerusform>
            <numerusform>Removed %1 (%n photos).</numerusform>
        </translation>
    </message>
    <message>
        <source>Remove folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>About Imago</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;h3&gt;Imago %1&lt;/h3&gt;&lt;p&gt;Finds your own photos by what is in them, entirely on this computer.&lt;/p&gt;&lt;p&gt;Model: %2&lt;/p&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not loaded</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Imago</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Library</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Add Folder…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Find</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show &amp;Confidence</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;About Imago</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Read-only: another program is indexing this library</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model on %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CPU</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loading the model…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loading the model from %1…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Imago could not open the model or the library:
%1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This library is being changed by another program. Try again when it has finished.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The library is not open yet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Getting ready…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loading the model. This takes a few seconds.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No photos match %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Try other words, or lower the confidence cut-off in the settings.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Try other words.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your library is empty</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Drop a folder of photos here, or choose Add folder…, and Imago will index it. You can search while it works.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No photos indexed yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Indexing is under way; you can search as soon as the first photos are in.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Drop a folder of photos here to add it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What are you looking for?</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n photo(s) ready to search. Describe what is in the photo: “a red car”, “birthday cake with candles”.</source>
        <translation>
            <numerusform>%n photo ready to search. Describe what is in the photo: “a red car”, “birthday cake with candles”.</numerusform>
            <numerusform>%n photos ready to search. Describe what is in the photo: “a red car”, “birthday cake with candles”.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n photo(s) in the library</source>
        <translation>
            <numerusform>%n photo in the library</numerusform>
            <numerusform>%n photos in the library</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 missing (kept)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 to re-index for the new model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No application to open %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Open</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show in &amp;File Manager</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Copy Path</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Find &amp;Similar Photos</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Search with This Photo and &amp;Words…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Search with this photo</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Photos like %1, and also:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Preparing the download…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Downloading the model: %1 of %2 MB (%3 MB/s), about %4 min left</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Downloading the model: %1 MB</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The download failed: %1
Click Download again to resume.</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>“%1” is now “%2” (%n photo(s), none indexed again).</source>
        <translation>
            <numerusform>“%1” is now “%2” (%n photo, not indexed again).</numerusform>
            <numerusform>“%1” is now “%2” (%n photos, none indexed again).</numerusform>
        </translation>
    </message>
    <message>
        <source>Locate folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 in offline folders (kept)</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Moved %n photo(s) to the trash.</source>
        <translation>
            <numerusform>Moved %n photo to the trash.</numerusform>
            <numerusform>Moved %n photos to the trash.</numerusform>
        </translation>
    </message>
    <message>
        <source>Move to trash</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Find &amp;Duplicates…</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Show %n more</source>
        <translation>
            <numerusform>Show %n more</numerusform>
            <numerusform>Show %n more</numerusform>
        </translation>
    </message>
    <message>
        <source>Only the good matches</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Edit the English</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Put “%1” into the search field to change it</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>imago::ReasonText</name>
    <message>
        <source>The file is empty.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The file is %1 MB, over the %2 MB limit.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The file is too large.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The file cannot be read: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The file cannot be read.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not a picture: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not a picture.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Camera RAW files are not supported (%1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Camera RAW files are not supported.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unsupported picture format: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unsupported picture format.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This %1 file uses a feature Imago cannot read: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The file uses a feature Imago cannot read.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The picture declares an empty size.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The picture declares %1×%2 pixels, over the %3 MP limit.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The picture has too many pixels.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A side of the picture is too long.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The %1 file is incomplete (cut short).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The file is incomplete (cut short).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The %1 file is damaged: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The file is damaged.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not enough memory to decode the picture.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The %1 decoder could not be started.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The decoder could not be started.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The file is no longer there.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The folder %1 is offline.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The folder is offline.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Indexed by another model: index it again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The picture declares %1×%2 pixels: an empty size.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The picture declares %1×%2 pixels: a side is over the %3-pixel limit.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>imago::RejectedModel</name>
    <message>
        <source>File</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reason</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>imago::ResultModel</name>
    <message>
        <source>Match: %1%</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Similarity: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Its name, folder or keywords hold the words</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>imago::ResultView</name>
    <message>
        <source>No preview</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>name</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>imago::RootsModel</name>
    <message numerus="yes">
        <source>%n photo(s)</source>
        <translation>
            <numerusform>%n photo</numerusform>
            <numerusform>%n photos</numerusform>
        </translation>
    </message>
    <message>
        <source>offline</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>indexing…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1
This folder cannot be reached (an unplugged drive?). Its photos are kept and can still be found.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>imago::SearchBar</name>
    <message>
        <source>Search your photos: “a dog on the beach”, “red car -night”…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Describe what is in the photo; file names, folders and keywords count too. Put a minus before words to leave them out, quotes around words every photo shown must have in its name, folders or keywords (&quot;Paris 2019&quot;). Chinese is translated. Ctrl+F or / to come here, Enter to search, Esc to clear.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>imago::SearchSession</name>
    <message>
        <source>“%1”</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>photos like %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>photos like %1 + “%2”</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The library is not open yet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Search failed: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Searching for %1…</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n good match(es) for %1</source>
        <translation>
            <numerusform>%n good match for %1</numerusform>
            <numerusform>%n good matches for %1</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n photo(s) for %1</source>
        <translation>
            <numerusform>%n photo for %1</numerusform>
            <numerusform>%n photos for %1</numerusform>
        </translation>
    </message>
    <message>
        <source>refining the order…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>searched for “%1”</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>in %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>imago::SettingsDialog</name>
    <message>
        <source>Browse…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Library and model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Library location:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Library location</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model folder:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Automatic (GPU when available)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CPU</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>GPU (CUDA)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>In use now: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Run the model on:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Automatic</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CPU threads:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Search</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Off</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>How many of the first results are checked again, more carefully, by the model (slower, often better).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rescore the first:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show all</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hide rescored results the model finds less likely than this.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Confidence cut-off:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Appearance</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Small</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Medium</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Large</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Extra large</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Thumbnail size:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show the confidence on each photo</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>System default</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Language:</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>imago::ThumbnailLoader</name>
    <message>
        <source>file not found</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>could not scale the image</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unreadable</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
