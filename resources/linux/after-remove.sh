#!/bin/bash
# FieldBoot deb post-removal script (electron-builder deb.afterRemove): undoes after-install.sh. On an
# upgrade the new package's after-install.sh runs after this and puts both back.
rm -f '/usr/bin/${executable}'
rm -f /usr/share/polkit-1/actions/org.fieldboot.engine.policy
