// Thin shim over libmosquitto (Debian: libmosquitto-dev). Nothing else lives here.
#include <mosquitto.h>
