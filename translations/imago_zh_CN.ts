<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>imago::DetailPane</name>
    <message>
        <source>Select a photo to see it larger, with its details.</source>
        <translation>选择一张照片，即可查看大图和详细信息。</translation>
    </message>
    <message>
        <source>Folder</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <source>Taken</source>
        <translation>拍摄时间</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Camera</source>
        <translation>相机</translation>
    </message>
    <message>
        <source>Similarity</source>
        <translation>相似度</translation>
    </message>
    <message>
        <source>Match</source>
        <translation>匹配度</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>%1 × %2 pixels</source>
        <translation>%1 × %2 像素</translation>
    </message>
    <message>
        <source>…</source>
        <translation>…</translation>
    </message>
    <message>
        <source>%1 (rank %2 before rerank)</source>
        <translation>%1（重排前第 %2 名）</translation>
    </message>
    <message>
        <source>%1%</source>
        <translation>%1%</translation>
    </message>
    <message>
        <source>not rescored</source>
        <translation>未重新评分</translation>
    </message>
    <message>
        <source>Why?</source>
        <translation>为什么？</translation>
    </message>
    <message>
        <source>Show which parts of the photo make it match the words</source>
        <translation>显示照片的哪些部分与这些词相符</translation>
    </message>
    <message>
        <source>Red: the parts that make it match “%1” (match %2%; hiding the reddest part lowers it by %3 points).</source>
        <translation>红色：让它与“%1”相符的部分（匹配度 %2%；遮住最红的部分会降低 %3 个百分点）。</translation>
    </message>
    <message>
        <source>Looking at each part of the photo…</source>
        <translation>正在逐块查看照片…</translation>
    </message>
</context>
<context>
    <name>imago::DuplicatesDialog</name>
    <message>
        <source>Duplicates</source>
        <translation>重复照片</translation>
    </message>
    <message>
        <source>Photo</source>
        <translation>照片</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Folder</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <source>Imago changes none of your photos unless you ask: “Move to trash” puts files in the desktop&apos;s trash, from where the file manager can restore them.</source>
        <translation>除非你要求，Imago 不会改动任何照片：“移到回收站”会把文件放进桌面的回收站，可以在文件管理器中恢复。</translation>
    </message>
    <message>
        <source>Show in folder</source>
        <translation>在文件夹中显示</translation>
    </message>
    <message>
        <source>Move to trash…</source>
        <translation>移到回收站…</translation>
    </message>
    <message>
        <source>Look again</source>
        <translation>重新查找</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Looking for copies of the same picture…</source>
        <translation>正在查找同一张图片的副本…</translation>
    </message>
    <message>
        <source>Could not look for duplicates: %1</source>
        <translation>无法查找重复照片：%1</translation>
    </message>
    <message numerus="yes">
        <source>Exact copies (%n photo(s))</source>
        <translation>
            <numerusform>完全相同的副本（%n 张照片）</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Same picture, resized or re-saved (%n photo(s))</source>
        <translation>
            <numerusform>同一张图片，经过缩放或重新保存（%n 张照片）</numerusform>
        </translation>
    </message>
    <message>
        <source>No copies found: every photo in the library is a picture of its own.</source>
        <translation>没有找到副本：图库中每张照片都是独一无二的。</translation>
    </message>
    <message numerus="yes">
        <source>%n group(s) of copies, %1 photos in all. Select the ones you do not need.</source>
        <translation>
            <numerusform>%n 组副本，共 %1 张照片。请选择不需要的照片。</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n photo(s) could not be read and were left out.</source>
        <translation>
            <numerusform>%n 张照片无法读取，已略过。</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Move %n photo(s) to the trash?</source>
        <translation>
            <numerusform>要把 %n 张照片移到回收站吗？</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>and %n more</source>
        <translation>
            <numerusform>还有 %n 张</numerusform>
        </translation>
    </message>
    <message>
        <source>You can restore them from the trash.</source>
        <translation>之后可以从回收站恢复。</translation>
    </message>
    <message>
        <source>Move to trash</source>
        <translation>移到回收站</translation>
    </message>
    <message>
        <source>These could not be moved to the trash:</source>
        <translation>以下文件无法移到回收站：</translation>
    </message>
</context>
<context>
    <name>imago::FileKind</name>
    <message>
        <source>Canon CR3</source>
        <translation>佳能 CR3</translation>
    </message>
    <message>
        <source>video or audio (QuickTime/MP4 family)</source>
        <translation>视频或音频（QuickTime/MP4 系列）</translation>
    </message>
    <message>
        <source>SVG vector image</source>
        <translation>SVG 矢量图</translation>
    </message>
    <message>
        <source>XMP metadata (XML)</source>
        <translation>XMP 元数据（XML）</translation>
    </message>
    <message>
        <source>property list (XML)</source>
        <translation>属性列表（XML）</translation>
    </message>
    <message>
        <source>XML document</source>
        <translation>XML 文档</translation>
    </message>
    <message>
        <source>RTF document</source>
        <translation>RTF 文档</translation>
    </message>
    <message>
        <source>HTML document</source>
        <translation>HTML 文档</translation>
    </message>
    <message>
        <source>text file</source>
        <translation>文本文件</translation>
    </message>
    <message>
        <source>empty file</source>
        <translation>空文件</translation>
    </message>
    <message>
        <source>Canon CR2</source>
        <translation>佳能 CR2</translation>
    </message>
    <message>
        <source>Olympus ORF</source>
        <translation>奥林巴斯 ORF</translation>
    </message>
    <message>
        <source>Panasonic RW2</source>
        <translation>松下 RW2</translation>
    </message>
    <message>
        <source>Fujifilm RAF</source>
        <translation>富士 RAF</translation>
    </message>
    <message>
        <source>Photoshop document</source>
        <translation>Photoshop 文档</translation>
    </message>
    <message>
        <source>JPEG 2000 image</source>
        <translation>JPEG 2000 图像</translation>
    </message>
    <message>
        <source>JPEG XL image</source>
        <translation>JPEG XL 图像</translation>
    </message>
    <message>
        <source>OpenEXR image</source>
        <translation>OpenEXR 图像</translation>
    </message>
    <message>
        <source>PDF document</source>
        <translation>PDF 文档</translation>
    </message>
    <message>
        <source>ZIP archive (or an Office/ePub document)</source>
        <translation>ZIP 压缩包（或 Office/ePub 文档）</translation>
    </message>
    <message>
        <source>ZIP archive (empty)</source>
        <translation>ZIP 压缩包（空）</translation>
    </message>
    <message>
        <source>macOS .DS_Store file</source>
        <translation>macOS .DS_Store 文件</translation>
    </message>
    <message>
        <source>binary property list</source>
        <translation>二进制属性列表</translation>
    </message>
    <message>
        <source>gzip archive</source>
        <translation>gzip 压缩包</translation>
    </message>
    <message>
        <source>7-Zip archive</source>
        <translation>7-Zip 压缩包</translation>
    </message>
    <message>
        <source>RAR archive</source>
        <translation>RAR 压缩包</translation>
    </message>
    <message>
        <source>executable program</source>
        <translation>可执行程序</translation>
    </message>
    <message>
        <source>Windows executable</source>
        <translation>Windows 可执行文件</translation>
    </message>
    <message>
        <source>Microsoft Office (OLE) document</source>
        <translation>Microsoft Office（OLE）文档</translation>
    </message>
    <message>
        <source>SQLite database</source>
        <translation>SQLite 数据库</translation>
    </message>
    <message>
        <source>Ogg audio/video</source>
        <translation>Ogg 音频/视频</translation>
    </message>
    <message>
        <source>FLAC audio</source>
        <translation>FLAC 音频</translation>
    </message>
    <message>
        <source>MP3 audio</source>
        <translation>MP3 音频</translation>
    </message>
    <message>
        <source>Matroska/WebM video</source>
        <translation>Matroska/WebM 视频</translation>
    </message>
    <message>
        <source>QuickTime video</source>
        <translation>QuickTime 视频</translation>
    </message>
    <message>
        <source>WAV audio</source>
        <translation>WAV 音频</translation>
    </message>
    <message>
        <source>AVI video</source>
        <translation>AVI 视频</translation>
    </message>
    <message>
        <source>Adobe DNG</source>
        <translation>Adobe DNG 原始文件</translation>
    </message>
    <message>
        <source>camera RAW (TIFF-based)</source>
        <translation>相机 RAW（基于 TIFF）</translation>
    </message>
</context>
<context>
    <name>imago::FirstRunPage</name>
    <message>
        <source>Welcome to Imago</source>
        <translation>欢迎使用 Imago</translation>
    </message>
    <message>
        <source>Imago finds your photos by what is in them — “a dog on a beach”, “red car at night” — entirely on this computer. To do that it needs its picture-understanding model (FLAVA, about 1.4 GB), once.</source>
        <translation>Imago 按照片的内容帮你找照片——“海滩上的狗”“夜里的红色汽车”——全部在这台电脑上完成。为此，它需要一次性准备好图像理解模型（FLAVA，约 1.4 GB）。</translation>
    </message>
    <message>
        <source>Download the model</source>
        <translation>下载模型</translation>
    </message>
    <message>
        <source>Choose model folder…</source>
        <translation>选择模型文件夹…</translation>
    </message>
    <message>
        <source>The download is saved in your user data folder.</source>
        <translation>下载的模型会保存在你的用户数据文件夹中。</translation>
    </message>
    <message>
        <source>Downloading from inside Imago is not available in this version yet. If you already have the model (a folder with config.json, model.safetensors and vocab.txt), choose its folder.</source>
        <translation>此版本暂不支持在 Imago 内下载模型。如果你已有模型（包含 config.json、model.safetensors 和 vocab.txt 的文件夹），请选择该文件夹。</translation>
    </message>
    <message>
        <source>The folder does not exist.</source>
        <translation>该文件夹不存在。</translation>
    </message>
    <message>
        <source>This folder has no config.json: it is not a model folder.</source>
        <translation>该文件夹中没有 config.json，不是模型文件夹。</translation>
    </message>
    <message>
        <source>This folder has no model weights (model.safetensors or pytorch_model.bin).</source>
        <translation>该文件夹中没有模型权重（model.safetensors 或 pytorch_model.bin）。</translation>
    </message>
    <message>
        <source>This folder has no vocab.txt.</source>
        <translation>该文件夹中没有 vocab.txt。</translation>
    </message>
    <message>
        <source>Choose the model folder</source>
        <translation>选择模型文件夹</translation>
    </message>
</context>
<context>
    <name>imago::FoldersPanel</name>
    <message>
        <source>Folders</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <source>Add folder…</source>
        <translation>添加文件夹…</translation>
    </message>
    <message>
        <source>Add a folder of photos to the library and index it. You can also drop folders onto the window.</source>
        <translation>把一个照片文件夹加入图库并建立索引。也可以直接把文件夹拖到窗口上。</translation>
    </message>
    <message>
        <source>Remove the selected folder from the library</source>
        <translation>从图库中移除所选文件夹</translation>
    </message>
    <message>
        <source>Folders to leave out when indexing…</source>
        <translation>建立索引时要跳过的文件夹…</translation>
    </message>
    <message>
        <source>Add a folder of photos</source>
        <translation>添加照片文件夹</translation>
    </message>
    <message>
        <source>Remove folder</source>
        <translation>移除文件夹</translation>
    </message>
    <message>
        <source>Remove “%1” from the library?

Its photos will no longer be found. The files themselves are not touched.</source>
        <translation>要从图库中移除“%1”吗？

之后将搜索不到其中的照片。文件本身不会被改动。</translation>
    </message>
    <message>
        <source>Search in this folder</source>
        <translation>在此文件夹中搜索</translation>
    </message>
    <message>
        <source>Index again</source>
        <translation>重新建立索引</translation>
    </message>
    <message>
        <source>Open in file manager</source>
        <translation>在文件管理器中打开</translation>
    </message>
    <message>
        <source>Remove from library…</source>
        <translation>从图库中移除…</translation>
    </message>
    <message>
        <source>Exclusions…</source>
        <translation>排除的文件夹…</translation>
    </message>
    <message>
        <source>Excluded folders</source>
        <translation>排除的文件夹</translation>
    </message>
    <message>
        <source>Photos in these folders (and below them) are never indexed.</source>
        <translation>这些文件夹（及其子文件夹）中的照片永远不会被索引。</translation>
    </message>
    <message>
        <source>Add…</source>
        <translation>添加…</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>Exclude a folder</source>
        <translation>排除文件夹</translation>
    </message>
    <message>
        <source>Where is “%1” now?</source>
        <translation>“%1”现在在哪里？</translation>
    </message>
    <message>
        <source>Locate folder…</source>
        <translation>定位文件夹…</translation>
    </message>
</context>
<context>
    <name>imago::IndexingController</name>
    <message>
        <source>This library is being changed by another program; it can be searched but not indexed until that program ends.</source>
        <translation>另一个程序正在修改此图库；在它结束之前，只能搜索，不能建立索引。</translation>
    </message>
    <message>
        <source>The library is not open yet.</source>
        <translation>图库尚未打开。</translation>
    </message>
</context>
<context>
    <name>imago::IndexingStatusWidget</name>
    <message>
        <source>less than a minute</source>
        <translation>不到一分钟</translation>
    </message>
    <message numerus="yes">
        <source>%n minute(s)</source>
        <translation>
            <numerusform>%n 分钟</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation>%1 小时 %2 分钟</translation>
    </message>
    <message>
        <source>Indexing stopped: %1</source>
        <translation>索引已停止：%1</translation>
    </message>
    <message>
        <source>Indexing stopped: %1 new photos indexed.</source>
        <translation>索引已停止：新索引了 %1 张照片。</translation>
    </message>
    <message>
        <source>Indexing done: %1 new, %2 unchanged in %3.</source>
        <translation>索引完成：新增 %1 张，%2 张未变，用时%3。</translation>
    </message>
    <message numerus="yes">
        <source>%n folder(s) offline.</source>
        <translation>
            <numerusform>%n 个文件夹离线。</numerusform>
        </translation>
    </message>
    <message>
        <source>Looking for photos…</source>
        <translation>正在查找照片…</translation>
    </message>
    <message>
        <source>%1 of %2 photos</source>
        <translation>%1 / %2 张照片</translation>
    </message>
    <message>
        <source>%1 of %2+ photos (still looking)</source>
        <translation>%1 / %2+ 张照片（仍在查找）</translation>
    </message>
    <message>
        <source>paused</source>
        <translation>已暂停</translation>
    </message>
    <message>
        <source>%1 photos/s</source>
        <translation>每秒 %1 张</translation>
    </message>
    <message>
        <source>about %1 left</source>
        <translation>约剩 %1</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Stop indexing (what is done so far is kept)</source>
        <translation>停止索引（已完成的部分会保留）</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>继续</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message numerus="yes">
        <source>%n file(s) not indexed…</source>
        <translation>
            <numerusform>%n 个文件未能索引…</numerusform>
        </translation>
    </message>
    <message>
        <source>Files not indexed</source>
        <translation>未能索引的文件</translation>
    </message>
    <message>
        <source>These files were found but could not be indexed. They are tried again when they change.</source>
        <translation>找到了这些文件，但无法为它们建立索引。文件有变化时会再次尝试。</translation>
    </message>
</context>
<context>
    <name>imago::MainWindow</name>
    <message>
        <source>Removing %1…</source>
        <translation>正在移除 %1…</translation>
    </message>
    <message numerus="yes">
        <source>Removed %1 (%n photo(s)).</source>
        <translation>
            <numerusform>已移除 %1（%n 张照片）。</numerusform>
        </translation>
    </message>
    <message>
        <source>Remove folder</source>
        <translation>移除文件夹</translation>
    </message>
    <message>
        <source>About Imago</source>
        <translation>关于 Imago</translation>
    </message>
    <message>
        <source>&lt;h3&gt;Imago %1&lt;/h3&gt;&lt;p&gt;Finds your own photos by what is in them, entirely on this computer.&lt;/p&gt;&lt;p&gt;Model: %2&lt;/p&gt;</source>
        <translation>&lt;h3&gt;Imago %1&lt;/h3&gt;&lt;p&gt;按内容查找你自己的照片，全部在这台电脑上完成。&lt;/p&gt;&lt;p&gt;模型：%2&lt;/p&gt;</translation>
    </message>
    <message>
        <source>not loaded</source>
        <translation>未加载</translation>
    </message>
    <message>
        <source>Imago</source>
        <translation>Imago</translation>
    </message>
    <message>
        <source>&amp;Library</source>
        <translation>图库(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;Add Folder…</source>
        <translation>添加文件夹(&amp;A)…</translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation>设置(&amp;S)…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>查看(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Find</source>
        <translation>查找(&amp;F)</translation>
    </message>
    <message>
        <source>Show &amp;Confidence</source>
        <translation>显示置信度(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;About Imago</source>
        <translation>关于 Imago(&amp;A)</translation>
    </message>
    <message>
        <source>Read-only: another program is indexing this library</source>
        <translation>只读：另一个程序正在为此图库建立索引</translation>
    </message>
    <message>
        <source>Model on %1</source>
        <translation>模型运行于 %1</translation>
    </message>
    <message>
        <source>CPU</source>
        <translation>CPU</translation>
    </message>
    <message>
        <source>Loading the model…</source>
        <translation>正在加载模型…</translation>
    </message>
    <message>
        <source>Loading the model from %1…</source>
        <translation>正在从 %1 加载模型…</translation>
    </message>
    <message>
        <source>Imago could not open the model or the library:
%1</source>
        <translation>Imago 无法打开模型或图库：
%1</translation>
    </message>
    <message>
        <source>Add folder</source>
        <translation>添加文件夹</translation>
    </message>
    <message>
        <source>This library is being changed by another program. Try again when it has finished.</source>
        <translation>另一个程序正在修改此图库。请在它完成后再试。</translation>
    </message>
    <message>
        <source>The library is not open yet.</source>
        <translation>图库尚未打开。</translation>
    </message>
    <message>
        <source>Getting ready…</source>
        <translation>正在准备…</translation>
    </message>
    <message>
        <source>Loading the model. This takes a few seconds.</source>
        <translation>正在加载模型，需要几秒钟。</translation>
    </message>
    <message>
        <source>No photos match %1</source>
        <translation>没有与 %1 匹配的照片</translation>
    </message>
    <message>
        <source>Try other words, or lower the confidence cut-off in the settings.</source>
        <translation>换个说法试试，或在设置中调低置信度阈值。</translation>
    </message>
    <message>
        <source>Try other words.</source>
        <translation>换个说法试试。</translation>
    </message>
    <message>
        <source>Your library is empty</source>
        <translation>图库是空的</translation>
    </message>
    <message>
        <source>Drop a folder of photos here, or choose Add folder…, and Imago will index it. You can search while it works.</source>
        <translation>把照片文件夹拖到这里，或点击“添加文件夹…”，Imago 会为它建立索引。索引期间也可以搜索。</translation>
    </message>
    <message>
        <source>No photos indexed yet</source>
        <translation>还没有索引任何照片</translation>
    </message>
    <message>
        <source>Indexing is under way; you can search as soon as the first photos are in.</source>
        <translation>正在建立索引；第一批照片完成后即可搜索。</translation>
    </message>
    <message>
        <source>Drop a folder of photos here to add it.</source>
        <translation>把照片文件夹拖到这里即可添加。</translation>
    </message>
    <message>
        <source>What are you looking for?</source>
        <translation>你在找什么？</translation>
    </message>
    <message numerus="yes">
        <source>%n photo(s) ready to search. Describe what is in the photo: “a red car”, “birthday cake with candles”.</source>
        <translation>
            <numerusform>%n 张照片可供搜索。描述照片里的内容，例如“红色汽车”“插着蜡烛的生日蛋糕”。</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n photo(s) in the library</source>
        <translation>
            <numerusform>图库中共 %n 张照片</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 missing (kept)</source>
        <translation>%1 张缺失（已保留）</translation>
    </message>
    <message>
        <source>%1 to re-index for the new model</source>
        <translation>%1 张需要为新模型重新索引</translation>
    </message>
    <message>
        <source>No application to open %1</source>
        <translation>没有可以打开 %1 的应用程序</translation>
    </message>
    <message>
        <source>&amp;Open</source>
        <translation>打开(&amp;O)</translation>
    </message>
    <message>
        <source>Show in &amp;File Manager</source>
        <translation>在文件管理器中显示(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Copy Path</source>
        <translation>复制路径(&amp;C)</translation>
    </message>
    <message>
        <source>Find &amp;Similar Photos</source>
        <translation>查找相似照片(&amp;S)</translation>
    </message>
    <message>
        <source>Search with This Photo and &amp;Words…</source>
        <translation>用这张照片加文字搜索(&amp;W)…</translation>
    </message>
    <message>
        <source>Search with this photo</source>
        <translation>用这张照片搜索</translation>
    </message>
    <message>
        <source>Photos like %1, and also:</source>
        <translation>与 %1 相似，并且：</translation>
    </message>
    <message>
        <source>Preparing the download…</source>
        <translation>正在准备下载…</translation>
    </message>
    <message>
        <source>Downloading the model: %1 of %2 MB (%3 MB/s), about %4 min left</source>
        <translation>正在下载模型：%1 / %2 MB（%3 MB/秒），约剩 %4 分钟</translation>
    </message>
    <message>
        <source>Downloading the model: %1 MB</source>
        <translation>正在下载模型：%1 MB</translation>
    </message>
    <message>
        <source>The download failed: %1
Click Download again to resume.</source>
        <translation>下载失败：%1
再次点击“下载”即可继续。</translation>
    </message>
    <message numerus="yes">
        <source>“%1” is now “%2” (%n photo(s), none indexed again).</source>
        <translation>
            <numerusform>“%1”现在是“%2”（%n 张照片，均无需重新索引）。</numerusform>
        </translation>
    </message>
    <message>
        <source>Locate folder</source>
        <translation>定位文件夹</translation>
    </message>
    <message>
        <source>%1 in offline folders (kept)</source>
        <translation>%1 张在离线文件夹中（已保留）</translation>
    </message>
    <message numerus="yes">
        <source>Moved %n photo(s) to the trash.</source>
        <translation>
            <numerusform>已把 %n 张照片移到回收站。</numerusform>
        </translation>
    </message>
    <message>
        <source>Move to trash</source>
        <translation>移到回收站</translation>
    </message>
    <message>
        <source>Find &amp;Duplicates…</source>
        <translation>查找重复照片(&amp;D)…</translation>
    </message>
    <message numerus="yes">
        <source>Show %n more</source>
        <translation>
            <numerusform>再显示 %n 张</numerusform>
        </translation>
    </message>
    <message>
        <source>Only the good matches</source>
        <translation>只看可靠的匹配</translation>
    </message>
    <message>
        <source>Edit the English</source>
        <translation>修改英文</translation>
    </message>
    <message>
        <source>Put “%1” into the search field to change it</source>
        <translation>把“%1”放进搜索框以便修改</translation>
    </message>
</context>
<context>
    <name>imago::ReasonText</name>
    <message>
        <source>The file is empty.</source>
        <translation>文件是空的。</translation>
    </message>
    <message>
        <source>The file is %1 MB, over the %2 MB limit.</source>
        <translation>文件大小为 %1 MB，超过 %2 MB 的上限。</translation>
    </message>
    <message>
        <source>The file is too large.</source>
        <translation>文件太大。</translation>
    </message>
    <message>
        <source>The file cannot be read: %1</source>
        <translation>无法读取文件：%1</translation>
    </message>
    <message>
        <source>The file cannot be read.</source>
        <translation>无法读取文件。</translation>
    </message>
    <message>
        <source>Not a picture: %1</source>
        <translation>不是图片：%1</translation>
    </message>
    <message>
        <source>Not a picture.</source>
        <translation>不是图片。</translation>
    </message>
    <message>
        <source>Camera RAW files are not supported (%1).</source>
        <translation>不支持相机 RAW 文件（%1）。</translation>
    </message>
    <message>
        <source>Camera RAW files are not supported.</source>
        <translation>不支持相机 RAW 文件。</translation>
    </message>
    <message>
        <source>Unsupported picture format: %1</source>
        <translation>不支持的图片格式：%1</translation>
    </message>
    <message>
        <source>Unsupported picture format.</source>
        <translation>不支持的图片格式。</translation>
    </message>
    <message>
        <source>This %1 file uses a feature Imago cannot read: %2</source>
        <translation>此 %1 文件使用了 Imago 无法读取的特性：%2</translation>
    </message>
    <message>
        <source>The file uses a feature Imago cannot read.</source>
        <translation>文件使用了 Imago 无法读取的特性。</translation>
    </message>
    <message>
        <source>The picture declares an empty size.</source>
        <translation>图片声明的尺寸为空。</translation>
    </message>
    <message>
        <source>The picture declares %1×%2 pixels, over the %3 MP limit.</source>
        <translation>图片声明为 %1×%2 像素，超过 %3 百万像素的上限。</translation>
    </message>
    <message>
        <source>The picture has too many pixels.</source>
        <translation>图片像素过多。</translation>
    </message>
    <message>
        <source>A side of the picture is too long.</source>
        <translation>图片的一条边过长。</translation>
    </message>
    <message>
        <source>The %1 file is incomplete (cut short).</source>
        <translation>此 %1 文件不完整（被截断）。</translation>
    </message>
    <message>
        <source>The file is incomplete (cut short).</source>
        <translation>文件不完整（被截断）。</translation>
    </message>
    <message>
        <source>The %1 file is damaged: %2</source>
        <translation>此 %1 文件已损坏：%2</translation>
    </message>
    <message>
        <source>The file is damaged.</source>
        <translation>文件已损坏。</translation>
    </message>
    <message>
        <source>Not enough memory to decode the picture.</source>
        <translation>内存不足，无法解码图片。</translation>
    </message>
    <message>
        <source>The %1 decoder could not be started.</source>
        <translation>无法启动 %1 解码器。</translation>
    </message>
    <message>
        <source>The decoder could not be started.</source>
        <translation>无法启动解码器。</translation>
    </message>
    <message>
        <source>The file is no longer there.</source>
        <translation>文件已不在原处。</translation>
    </message>
    <message>
        <source>The folder %1 is offline.</source>
        <translation>文件夹 %1 处于离线状态。</translation>
    </message>
    <message>
        <source>The folder is offline.</source>
        <translation>文件夹处于离线状态。</translation>
    </message>
    <message>
        <source>Indexed by another model: index it again.</source>
        <translation>由另一个模型编入索引：请重新编入索引。</translation>
    </message>
    <message>
        <source>The picture declares %1×%2 pixels: an empty size.</source>
        <translation>图片声明为 %1×%2 像素：尺寸为空。</translation>
    </message>
    <message>
        <source>The picture declares %1×%2 pixels: a side is over the %3-pixel limit.</source>
        <translation>图片声明为 %1×%2 像素：有一条边超过 %3 像素的上限。</translation>
    </message>
</context>
<context>
    <name>imago::RejectedModel</name>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
</context>
<context>
    <name>imago::ResultModel</name>
    <message>
        <source>Match: %1%</source>
        <translation>匹配度：%1%</translation>
    </message>
    <message>
        <source>Similarity: %1</source>
        <translation>相似度：%1</translation>
    </message>
    <message>
        <source>Its name, folder or keywords hold the words</source>
        <translation>它的文件名、文件夹或关键词包含这些词</translation>
    </message>
</context>
<context>
    <name>imago::ResultView</name>
    <message>
        <source>No preview</source>
        <translation>无预览</translation>
    </message>
    <message>
        <source>name</source>
        <translation>名称</translation>
    </message>
</context>
<context>
    <name>imago::RootsModel</name>
    <message numerus="yes">
        <source>%n photo(s)</source>
        <translation>
            <numerusform>%n 张照片</numerusform>
        </translation>
    </message>
    <message>
        <source>offline</source>
        <translation>离线</translation>
    </message>
    <message>
        <source>indexing…</source>
        <translation>正在索引…</translation>
    </message>
    <message>
        <source>%1
This folder cannot be reached (an unplugged drive?). Its photos are kept and can still be found.</source>
        <translation>%1
无法访问此文件夹（驱动器已拔出？）。其中的照片会保留，仍然可以被搜索到。</translation>
    </message>
</context>
<context>
    <name>imago::SearchBar</name>
    <message>
        <source>Search your photos: “a dog on the beach”, “red car -night”…</source>
        <translation>搜索你的照片：“海滩上的狗”“red car -night”…</translation>
    </message>
    <message>
        <source>Describe what is in the photo; file names, folders and keywords count too. Put a minus before words to leave them out, quotes around words every photo shown must have in its name, folders or keywords (&quot;Paris 2019&quot;). Chinese is translated. Ctrl+F or / to come here, Enter to search, Esc to clear.</source>
        <translation>描述照片中的内容；文件名、文件夹和关键词也会被查找。在词前加减号可排除该词，加引号则只显示文件名、文件夹或关键词中含有该词的照片（&quot;Paris 2019&quot;）。中文会先翻译成英文。按 Ctrl+F 或 / 跳到这里，回车搜索，Esc 清除。</translation>
    </message>
</context>
<context>
    <name>imago::SearchSession</name>
    <message>
        <source>“%1”</source>
        <translation>“%1”</translation>
    </message>
    <message>
        <source>photos like %1</source>
        <translation>与 %1 相似的照片</translation>
    </message>
    <message>
        <source>photos like %1 + “%2”</source>
        <translation>与 %1 相似并且“%2”的照片</translation>
    </message>
    <message>
        <source>The library is not open yet.</source>
        <translation>图库尚未打开。</translation>
    </message>
    <message>
        <source>Search failed: %1</source>
        <translation>搜索失败：%1</translation>
    </message>
    <message>
        <source>Searching for %1…</source>
        <translation>正在搜索 %1…</translation>
    </message>
    <message numerus="yes">
        <source>%n good match(es) for %1</source>
        <translation>
            <numerusform>%1 有 %n 个可靠匹配</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n photo(s) for %1</source>
        <translation>
            <numerusform>%1 共 %n 张照片</numerusform>
        </translation>
    </message>
    <message>
        <source>refining the order…</source>
        <translation>正在优化排序…</translation>
    </message>
    <message>
        <source>searched for “%1”</source>
        <translation>搜索：%1</translation>
    </message>
    <message>
        <source>in %1</source>
        <translation>位于 %1</translation>
    </message>
</context>
<context>
    <name>imago::SettingsDialog</name>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Library and model</source>
        <translation>图库与模型</translation>
    </message>
    <message>
        <source>Library location:</source>
        <translation>图库位置：</translation>
    </message>
    <message>
        <source>Library location</source>
        <translation>图库位置</translation>
    </message>
    <message>
        <source>Model folder:</source>
        <translation>模型文件夹：</translation>
    </message>
    <message>
        <source>Model folder</source>
        <translation>模型文件夹</translation>
    </message>
    <message>
        <source>Automatic (GPU when available)</source>
        <translation>自动（有 GPU 时使用 GPU）</translation>
    </message>
    <message>
        <source>CPU</source>
        <translation>CPU</translation>
    </message>
    <message>
        <source>GPU (CUDA)</source>
        <translation>GPU（CUDA）</translation>
    </message>
    <message>
        <source>In use now: %1</source>
        <translation>当前使用：%1</translation>
    </message>
    <message>
        <source>Run the model on:</source>
        <translation>模型运行于：</translation>
    </message>
    <message>
        <source>Automatic</source>
        <translation>自动</translation>
    </message>
    <message>
        <source>CPU threads:</source>
        <translation>CPU 线程数：</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>搜索</translation>
    </message>
    <message>
        <source>Off</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>How many of the first results are checked again, more carefully, by the model (slower, often better).</source>
        <translation>由模型对排名靠前的多少个结果再做一次更仔细的检查（更慢，通常更准）。</translation>
    </message>
    <message>
        <source>Rescore the first:</source>
        <translation>重新评分前：</translation>
    </message>
    <message>
        <source>Show all</source>
        <translation>全部显示</translation>
    </message>
    <message>
        <source>Hide rescored results the model finds less likely than this.</source>
        <translation>隐藏重新评分后匹配可能性低于此值的结果。</translation>
    </message>
    <message>
        <source>Confidence cut-off:</source>
        <translation>置信度阈值：</translation>
    </message>
    <message>
        <source>Appearance</source>
        <translation>外观</translation>
    </message>
    <message>
        <source>Small</source>
        <translation>小</translation>
    </message>
    <message>
        <source>Medium</source>
        <translation>中</translation>
    </message>
    <message>
        <source>Large</source>
        <translation>大</translation>
    </message>
    <message>
        <source>Extra large</source>
        <translation>特大</translation>
    </message>
    <message>
        <source>Thumbnail size:</source>
        <translation>缩略图大小：</translation>
    </message>
    <message>
        <source>Show the confidence on each photo</source>
        <translation>在每张照片上显示置信度</translation>
    </message>
    <message>
        <source>System default</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>Language:</source>
        <translation>语言：</translation>
    </message>
</context>
<context>
    <name>imago::ThumbnailLoader</name>
    <message>
        <source>file not found</source>
        <translation>找不到文件</translation>
    </message>
    <message>
        <source>could not scale the image</source>
        <translation>无法缩放图像</translation>
    </message>
    <message>
        <source>unreadable</source>
        <translation>无法读取</translation>
    </message>
</context>
</TS>
