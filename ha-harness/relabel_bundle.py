"""The agent's release bundle relabelled for the harness's agent upgrade: the same jars, its edge-agent.jar's manifest
saying another Implementation-Version (and, for the failing variant, a Main-Class the jar lacks).
Usage: relabel_bundle.py <bundle.zip> <version> <main-class> <out.zip>"""
import io
import re
import sys
import zipfile

src, version, main, out = sys.argv[1:5]
with zipfile.ZipFile(src) as bundle, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as relabelled:
    for entry in bundle.infolist():
        data = bundle.read(entry)
        if entry.filename == "edge-agent.jar":
            jar_in, jar_out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
            with zipfile.ZipFile(jar_out, "w", zipfile.ZIP_DEFLATED) as jar:
                for e in jar_in.infolist():
                    content = jar_in.read(e)
                    if e.filename == "META-INF/MANIFEST.MF":
                        text = content.decode("utf-8")
                        text = re.sub(r"(?m)^Implementation-Version: .*\r?$", "Implementation-Version: " + version + "\r", text)
                        text = re.sub(r"(?m)^Main-Class: .*\r?$", "Main-Class: " + main + "\r", text)
                        content = text.encode("utf-8")
                    jar.writestr(e, content)
            data = jar_out.getvalue()
        relabelled.writestr(entry, data)
