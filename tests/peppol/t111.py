"""Invoice Response validation for the tests: the UBL ApplicationResponse
XSD and the official T111 XSLT (saxonche), read where they are."""

from functools import cache
from pathlib import Path

from lxml import etree

SVRL = "{http://purl.oclc.org/dsdl/svrl}"


@cache
def _tools(artifacts: Path):
    from saxonche import PySaxonProcessor

    xsd = etree.XMLSchema(
        etree.parse(
            str(artifacts / "ubl-2.1/xsd/maindoc/UBL-ApplicationResponse-2.1.xsd")
        )
    )
    processor = PySaxonProcessor(license=False)
    executable = processor.new_xslt30_processor().compile_stylesheet(
        stylesheet_file=str(artifacts / "invoice-response/xslt/PEPPOLBIS-T111.xslt")
    )
    return xsd, processor, executable


def t111_problems(xml: bytes, artifacts: Path) -> list[str]:
    """XSD errors and fatal T111 assertions (empty when valid)."""
    xsd, processor, executable = _tools(artifacts)
    document = etree.fromstring(xml)
    problems = [] if xsd.validate(document) else [str(e) for e in xsd.error_log]
    node = processor.parse_xml(xml_text=xml.decode("utf-8"))
    svrl = etree.fromstring(executable.transform_to_string(xdm_node=node).encode())
    problems += [
        f"{fa.get('id')}: {''.join(fa.itertext()).strip()}"
        for fa in svrl.iter(f"{SVRL}failed-assert")
        if fa.get("flag") == "fatal"
    ]
    return problems
