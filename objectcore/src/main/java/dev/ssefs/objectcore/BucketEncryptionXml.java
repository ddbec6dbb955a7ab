package dev.ssefs.objectcore;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.Transformer;
import javax.xml.transform.TransformerException;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;

/**
 * The XML body of PutBucketEncryption / GetBucketEncryption:
 * <pre>
 * &lt;ServerSideEncryptionRule&gt;
 *   &lt;ApplyServerSideEncryptionByDefault&gt;
 *     &lt;SSEAlgorithm&gt;KMS&lt;/SSEAlgorithm&gt;
 *     &lt;KMSMasterKeyID&gt;&lt;/KMSMasterKeyID&gt;
 *     &lt;KMSDataEncryption&gt;SM4&lt;/KMSDataEncryption&gt;
 *   &lt;/ApplyServerSideEncryptionByDefault&gt;
 * &lt;/ServerSideEncryptionRule&gt;
 * </pre>
 * Parsed with the JDK's DOM parser hardened against XXE: DOCTYPE declarations, external entities and XInclude are
 * refused. Anything not of this shape is 400 {@code MalformedXML}. Values are not validated here (that is
 * PutBucketEncryption's job, with its own error codes).
 */
public final class BucketEncryptionXml {
    private BucketEncryptionXml() {}

    public static final String MALFORMED_XML_MESSAGE =
            "The XML you provided was not well-formed or did not validate against our published schema.";

    public static BucketEncryptionRule parse(String xml) {
        if (xml == null) throw malformed("empty body");
        return parse(xml.getBytes(StandardCharsets.UTF_8));
    }

    public static BucketEncryptionRule parse(byte[] xml) {
        Document doc;
        try {
            DocumentBuilder b = factory().newDocumentBuilder();
            b.setErrorHandler(null);
            doc = b.parse(new ByteArrayInputStream(xml));
        } catch (SAXException | IOException e) {
            throw malformed(e.getMessage());
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException(e);
        }
        Element root = doc.getDocumentElement();
        if (!"ServerSideEncryptionRule".equals(root.getNodeName())) {
            throw malformed("root element must be ServerSideEncryptionRule, not " + root.getNodeName());
        }
        Element apply = onlyChild(root, "ApplyServerSideEncryptionByDefault", true);
        for (Element e : children(root)) {
            if (!e.getNodeName().equals("ApplyServerSideEncryptionByDefault")) throw malformed("unexpected element " + e.getNodeName());
        }
        for (Element e : children(apply)) {
            String n = e.getNodeName();
            if (!n.equals("SSEAlgorithm") && !n.equals("KMSMasterKeyID") && !n.equals("KMSDataEncryption")) {
                throw malformed("unexpected element " + n);
            }
        }
        String alg = text(onlyChild(apply, "SSEAlgorithm", true));
        Element keyEl = onlyChild(apply, "KMSMasterKeyID", false);
        Element dataEl = onlyChild(apply, "KMSDataEncryption", false);
        String key = keyEl == null ? null : text(keyEl);
        String data = dataEl == null ? null : text(dataEl);
        return new BucketEncryptionRule(alg, key == null || key.isEmpty() ? null : key, data == null || data.isEmpty() ? null : data);
    }

    /** The XML OSS returns from GetBucketEncryption; an absent CMK id is written as an empty element. */
    public static String write(BucketEncryptionRule rule) {
        try {
            Document doc = factory().newDocumentBuilder().newDocument();
            Element root = doc.createElement("ServerSideEncryptionRule");
            doc.appendChild(root);
            Element apply = doc.createElement("ApplyServerSideEncryptionByDefault");
            root.appendChild(apply);
            add(doc, apply, "SSEAlgorithm", rule.sseAlgorithm());
            add(doc, apply, "KMSMasterKeyID", rule.kmsMasterKeyId() == null ? "" : rule.kmsMasterKeyId());
            if (rule.kmsDataEncryption() != null) add(doc, apply, "KMSDataEncryption", rule.kmsDataEncryption());
            TransformerFactory tf = TransformerFactory.newInstance();
            tf.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            tf.setAttribute(XMLConstants.ACCESS_EXTERNAL_STYLESHEET, "");
            Transformer t = tf.newTransformer();
            t.setOutputProperty(OutputKeys.ENCODING, "UTF-8");
            t.setOutputProperty(OutputKeys.INDENT, "yes");
            t.setOutputProperty("{http://xml.apache.org/xslt}indent-amount", "2");
            StringWriter w = new StringWriter();
            t.transform(new DOMSource(doc), new StreamResult(w));
            return w.toString();
        } catch (ParserConfigurationException | TransformerException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void add(Document doc, Element parent, String name, String value) {
        Element e = doc.createElement(name);
        e.setTextContent(value == null ? "" : value);
        parent.appendChild(e);
    }

    private static DocumentBuilderFactory factory() throws ParserConfigurationException {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        f.setFeature("http://xml.org/sax/features/external-general-entities", false);
        f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        f.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
        f.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
        f.setXIncludeAware(false);
        f.setExpandEntityReferences(false);
        f.setNamespaceAware(false);
        return f;
    }

    private static java.util.List<Element> children(Element parent) {
        java.util.List<Element> l = new java.util.ArrayList<>();
        NodeList nl = parent.getChildNodes();
        for (int i = 0; i < nl.getLength(); i++) {
            Node n = nl.item(i);
            if (n.getNodeType() == Node.ELEMENT_NODE) l.add((Element) n);
            else if (n.getNodeType() == Node.TEXT_NODE && !n.getTextContent().isBlank()) throw malformed("unexpected text in " + parent.getNodeName());
        }
        return l;
    }

    private static Element onlyChild(Element parent, String name, boolean required) {
        Element found = null;
        for (Element e : children(parent)) {
            if (e.getNodeName().equals(name)) {
                if (found != null) throw malformed("more than one " + name);
                found = e;
            }
        }
        if (found == null && required) throw malformed("missing " + name + " in " + parent.getNodeName());
        return found;
    }

    private static String text(Element e) {
        NodeList nl = e.getChildNodes();
        for (int i = 0; i < nl.getLength(); i++) {
            short t = nl.item(i).getNodeType();
            if (t != Node.TEXT_NODE && t != Node.CDATA_SECTION_NODE) {
                throw malformed("unexpected content in " + e.getNodeName());
            }
        }
        return e.getTextContent().trim();
    }

    private static OssException malformed(String detail) {
        return new OssException(400, "MalformedXML", MALFORMED_XML_MESSAGE + (detail == null ? "" : " (" + detail + ")"));
    }
}
