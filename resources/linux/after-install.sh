#!/bin/bash
# FieldBoot deb post-install script (electron-builder deb.afterInstall). electron-builder fills in the two
# names written as dollar-brace macros before packaging; use no other dollar-brace forms in this file.
# It replaces electron-builder's default script, so it does the Electron app's usual steps too.

# The command on PATH.
ln -sf '/opt/${sanitizedProductName}/${executable}' '/usr/bin/${executable}'

# Chromium's sandbox helper must be setuid only where unprivileged user namespaces are unavailable.
if unshare --user true 2>/dev/null; then
  chmod 0755 '/opt/${sanitizedProductName}/chrome-sandbox' || true
else
  chmod 4755 '/opt/${sanitizedProductName}/chrome-sandbox' || true
fi

if command -v update-desktop-database >/dev/null 2>&1; then update-desktop-database /usr/share/applications || true; fi
if command -v update-mime-database >/dev/null 2>&1; then update-mime-database /usr/share/mime || true; fi

# The engine's polkit action: pkexec runs the fixed wrapper as root after an administrator password.
# polkitd notices the new file by itself.
chown root:root '/opt/${sanitizedProductName}/resources/linux/fieldboot-engine'
chmod 0755 '/opt/${sanitizedProductName}/resources/linux/fieldboot-engine'
install -D -m 0644 -o root -g root '/opt/${sanitizedProductName}/resources/linux/org.fieldboot.engine.policy' \
  /usr/share/polkit-1/actions/org.fieldboot.engine.policy
