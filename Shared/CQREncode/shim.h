// Thin shim over libqrencode (Debian: libqrencode-dev). Nothing else lives here.
#include <qrencode.h>
