// Thin shim over libzmq (Debian: libzmq3-dev). Nothing else lives here.
#include <zmq.h>
