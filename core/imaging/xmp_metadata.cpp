#include "xmp_metadata.h"

#include "photo_text.h"

#include <QByteArray>
#include <QString>
#include <QXmlStreamReader>

namespace imago::detail {

namespace {

constexpr QLatin1StringView kRdfNs("http://www.w3.org/1999/02/22-rdf-syntax-ns#");
constexpr QLatin1StringView kDcNs("http://purl.org/dc/elements/1.1/");
constexpr QLatin1StringView kLightroomNs("http://ns.adobe.com/lightroom/1.0/");
constexpr QLatin1StringView kPhotoshopNs("http://ns.adobe.com/photoshop/1.0/");
constexpr QLatin1StringView kXmlNs("http://www.w3.org/XML/1998/namespace");

enum class Property
{
    None,
    Subject,      // dc:subject: a bag of keywords
    Hierarchical, // lr:hierarchicalSubject: a bag of "a|b|c" paths
    Title,        // dc:title: a language alternative
    Description,  // dc:description: a language alternative
    Headline,     // photoshop:Headline: plain text
};

Property propertyOf(QStringView ns, QStringView name)
{
    if (ns == kDcNs) {
        if (name == u"subject")
            return Property::Subject;
        if (name == u"title")
            return Property::Title;
        if (name == u"description")
            return Property::Description;
    } else if (ns == kLightroomNs && name == u"hierarchicalSubject") {
        return Property::Hierarchical;
    } else if (ns == kPhotoshopNs && name == u"Headline") {
        return Property::Headline;
    }
    return Property::None;
}

// A language alternative's choice: the x-default item, else the first non-blank one.
struct Alternative
{
    QString text;
    bool isDefault = false;

    void offer(const QString &value, QStringView lang)
    {
        const QString v = boundedText(value);
        if (v.isEmpty() || isDefault)
            return;
        const bool def = lang.compare(u"x-default", Qt::CaseInsensitive) == 0;
        if (def || text.isEmpty()) {
            text = v;
            isDefault = def;
        }
    }
};

struct XmpText
{
    QStringList subject, hierarchical;
    Alternative title, description, headline;

    void add(Property p, const QString &value, QStringView lang)
    {
        switch (p) {
        case Property::Subject:
            addKeyword(subject, value);
            break;
        case Property::Hierarchical:
            // "Places|Europe|Zürich": the leaf is the keyword.
            addKeyword(hierarchical, value.section(QLatin1Char('|'), -1));
            break;
        case Property::Title:
            title.offer(value, lang);
            break;
        case Property::Description:
            description.offer(value, lang);
            break;
        case Property::Headline:
            headline.offer(value, lang);
            break;
        case Property::None:
            break;
        }
    }
};

void appendBounded(QString &to, QStringView text)
{
    if (to.size() < kMaxRawTextLength)
        to.append(text.first(std::min(text.size(), kMaxRawTextLength - to.size())));
}

} // namespace

PhotoMetadata photoTextFromXmp(Bytes packet)
{
    if (packet.empty() || packet.size() > kMaxXmpPacketBytes)
        return {};
    // No copy: the bytes outlive the reader.
    const QByteArray data = QByteArray::fromRawData(reinterpret_cast<const char *>(packet.data()),
                                                    qsizetype(packet.size()));
    QXmlStreamReader xml(data);

    XmpText found;
    int depth = 0;            // of the element being read (1 = the root)
    int rdfDepth = 0;         // of the outermost rdf:RDF; 0 = not inside one
    int descriptionDepth = 0; // of the top-level rdf:Description we are in; 0 = none
    Property property = Property::None;
    int propertyDepth = 0;
    bool propertyHasItems = false; // saw an rdf:li, so the property is not plain text
    QString propertyText, itemText, itemLang;
    bool inItem = false;
    bool rootClosed = false;

    while (!xml.atEnd() && !rootClosed) {
        switch (xml.readNext()) {
        case QXmlStreamReader::DTD:
            return {}; // never in XMP; where entity expansion attacks are declared
        case QXmlStreamReader::StartElement: {
            ++depth;
            const QStringView ns = xml.namespaceUri(), name = xml.name();
            if (property != Property::None) {
                // rdf:li directly inside the property's rdf:Bag / rdf:Seq / rdf:Alt.
                if (depth == propertyDepth + 2 && ns == kRdfNs && name == u"li") {
                    inItem = true;
                    propertyHasItems = true;
                    itemText.clear();
                    itemLang = xml.attributes().value(kXmlNs, QLatin1StringView("lang")).toString();
                }
            } else if (descriptionDepth && depth == descriptionDepth + 1) {
                property = propertyOf(ns, name);
                propertyDepth = depth;
                propertyHasItems = false;
                propertyText.clear();
            } else if (!rdfDepth && ns == kRdfNs && name == u"RDF") {
                rdfDepth = depth;
            } else if (rdfDepth && depth == rdfDepth + 1 && ns == kRdfNs &&
                       name == u"Description") {
                descriptionDepth = depth;
                // The shorthand: simple properties as attributes of the description.
                for (const QXmlStreamAttribute &a : xml.attributes()) {
                    const Property p = propertyOf(a.namespaceUri(), a.name());
                    if (p != Property::None)
                        found.add(p,
                                  a.value()
                                      .first(std::min(a.value().size(), kMaxRawTextLength))
                                      .toString(),
                                  {});
                }
            }
            break;
        }
        case QXmlStreamReader::Characters:
            if (inItem && depth == propertyDepth + 2)
                appendBounded(itemText, xml.text());
            else if (property != Property::None && depth == propertyDepth)
                appendBounded(propertyText, xml.text());
            break;
        case QXmlStreamReader::EndElement:
            if (inItem && depth == propertyDepth + 2) {
                found.add(property, itemText, itemLang);
                inItem = false;
            } else if (property != Property::None && depth == propertyDepth) {
                if (!propertyHasItems)
                    found.add(property, propertyText, {});
                property = Property::None;
            } else if (depth == descriptionDepth) {
                descriptionDepth = 0;
            } else if (depth == rdfDepth) {
                rdfDepth = 0;
            }
            --depth;
            rootClosed = depth == 0;
            break;
        default:
            break;
        }
    }
    // A packet cut short or broken inside says nothing reliable; junk after the root does not
    // matter (the loop stops when the root closes).
    if (xml.hasError() && !rootClosed)
        return {};

    PhotoMetadata m;
    m.keywords = found.subject;
    for (const QString &k : std::as_const(found.hierarchical))
        addKeyword(m.keywords, k);
    m.title = found.title.text.isEmpty() ? found.headline.text : found.title.text;
    m.description = found.description.text;
    return m;
}

} // namespace imago::detail
