// spasmwatch-bench-ref: the C references `spasmwatch-bench` measures SpasmWatch against, and
// the guard it starts every child through. Built by the package (a C target), never installed.
//
//   guard PROGRAM ARGS...                  exec PROGRAM; it gets SIGTERM when the bench dies, however
//                                          it dies (kill -9 included), so a run leaves no process.
//   zmq-pub  ENDPOINT COUNT SHAPE [RATE]   raw libzmq publisher (XPUB, no drop: it blocks at its
//                                          high-water mark), connects to the bus's publish side.
//   zmq-sub  ENDPOINT COUNT SHAPE IDLE_MS  raw libzmq SUB, connects to the bus's subscribe side.
//   mqtt-pub SOCKET COUNT SHAPE [RATE]     libmosquitto client, QoS 0, to a broker's unix socket
//                                          (a local socket, as the bus's ipc endpoints are).
//   mqtt-sub SOCKET COUNT SHAPE IDLE_MS    libmosquitto client, QoS 0.
//
// SHAPE is `small` (one 200-byte part starting with `bench.small`) or `frame` (a sensor frame's
// three parts: the 20-byte topic `sensor.frame.ankle-r`, 300 bytes of envelope JSON, 600 bytes of
// samples; over MQTT the topic is the MQTT topic and the payload is the other 900 bytes). A
// subscriber subscribes to its shape's prefix only (`bench.` or `sensor.frame.`; over MQTT
// `bench/#` or `sensor/#`), so the bus's own heartbeats are neither counted nor timed.
// RATE is messages per second for a paced publisher; 0 or absent floods (as fast as the socket
// takes them; the ZeroMQ publisher blocks when the bus falls behind rather than drop).
// A publisher prints `ready` when connected and `sent N seconds S` at the end. A subscriber
// prints `ready` once subscribed, then `received N seconds S` where S runs from the first
// message received to the last; it stops when COUNT have arrived or when nothing arrived for
// IDLE_MS after the first (loss is counted, never waited for), or on SIGINT/SIGTERM; it also
// gives up 30 s after `ready` if nothing ever arrived.
#include <errno.h>
#include <mosquitto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

static volatile sig_atomic_t stopping = 0;
static void on_stop(int signal) { (void)signal; stopping = 1; }

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void catch_stop_signals(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_stop;  // no SA_RESTART: a blocked receive returns EINTR
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
}

static int usage(void) {
    fprintf(stderr,
        "usage: spasmwatch-bench-ref guard PROGRAM ARGS... | zmq-pub ENDPOINT COUNT SHAPE [RATE] |\n"
        "       zmq-sub ENDPOINT COUNT SHAPE IDLE_MS | mqtt-pub SOCKET COUNT SHAPE [RATE] |\n"
        "       mqtt-sub SOCKET COUNT SHAPE IDLE_MS\n");
    return 2;
}

static char small_part[200], json_part[300], samples_part[600], mqtt_frame[900];
static const char frame_topic[] = "sensor.frame.ankle-r";

static const char small_prefix[] = "bench.small";

static void fill_parts(void) {
    memset(small_part, 'a', sizeof small_part);
    memcpy(small_part, small_prefix, sizeof small_prefix - 1);
    memset(json_part, '{', sizeof json_part);
    memset(samples_part, 1, sizeof samples_part);
    memcpy(mqtt_frame, json_part, sizeof json_part);
    memcpy(mqtt_frame + sizeof json_part, samples_part, sizeof samples_part);
}

/// A paced publisher sleeps until message `sent` is due (`start + sent / rate`), checked every
/// 32 messages; a late one catches up by not sleeping. No pacing when `rate` is 0.
static void pace(double rate, long sent, double start) {
    if (rate <= 0 || sent % 32 != 0) return;
    double wait = start + sent / rate - now();
    if (wait <= 0) return;
    struct timespec t = {(time_t)wait, (long)((wait - (time_t)wait) * 1e9)};
    nanosleep(&t, NULL);
}

/// Whether a subscriber that has been ready since `ready` should stop: nothing for `idle_ms`
/// after its last message, or nothing at all for 30 s.
static int gone_idle(long received, double last, double ready, int idle_ms) {
    if (received > 0) return (now() - last) * 1000 > idle_ms;
    return now() - ready > 30;
}

static int guard(int argc, char **argv) {
    if (argc < 3) return usage();
    pid_t parent = getppid();
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) return 1;  // the bench died before the signal was armed
    // Foundation starts children with the signals its threads block still blocked, and a
    // blocked SIGTERM would keep the child alive: start the program with none blocked.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    execvp(argv[2], argv + 2);
    fprintf(stderr, "spasmwatch-bench-ref: cannot start %s: %s\n", argv[2], strerror(errno));
    return 127;
}

static int zmq_pub(const char *endpoint, long count, int frame, double rate) {
    void *context = zmq_ctx_new();
    // XPUB with ZMQ_XPUB_NODROP is a PUB whose send blocks at its high-water mark instead of
    // dropping: a flooding publisher then goes as fast as the bus takes its messages, as the
    // envelope publisher does behind its hand-off queue, instead of losing most of them in
    // its own socket (a plain PUB sent 2 M in 0.4 s and 80% never left it).
    void *socket = zmq_socket(context, ZMQ_XPUB);
    int hwm = 200000, linger = 5000, nodrop = 1;
    zmq_setsockopt(socket, ZMQ_XPUB_NODROP, &nodrop, sizeof nodrop);
    zmq_setsockopt(socket, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(socket, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(socket, endpoint) != 0) {
        fprintf(stderr, "zmq_connect %s: %s\n", endpoint, zmq_strerror(zmq_errno()));
        return 1;
    }
    usleep(1000000);  // the bus forwards the subscriber's subscription upstream (slow on a busy machine)
    printf("ready\n");
    fflush(stdout);
    long sent = 0;
    double start = now();
    for (; sent < count && !stopping; sent++) {
        pace(rate, sent, start);
        if (frame) {
            zmq_send(socket, frame_topic, sizeof frame_topic - 1, ZMQ_SNDMORE);
            zmq_send(socket, json_part, sizeof json_part, ZMQ_SNDMORE);
            zmq_send(socket, samples_part, sizeof samples_part, 0);
        } else {
            zmq_send(socket, small_part, sizeof small_part, 0);
        }
    }
    printf("sent %ld seconds %f\n", sent, now() - start);
    fflush(stdout);
    zmq_close(socket);
    zmq_ctx_term(context);
    return 0;
}

static int zmq_sub(const char *endpoint, long count, int frame, int idle_ms) {
    void *context = zmq_ctx_new();
    void *socket = zmq_socket(context, ZMQ_SUB);
    int hwm = 200000, timeout = 100;
    const char *prefix = frame ? "sensor.frame." : "bench.";
    zmq_setsockopt(socket, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(socket, ZMQ_SUBSCRIBE, prefix, strlen(prefix));
    zmq_setsockopt(socket, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    if (zmq_connect(socket, endpoint) != 0) {
        fprintf(stderr, "zmq_connect %s: %s\n", endpoint, zmq_strerror(zmq_errno()));
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    long received = 0;
    double first = 0, last = 0, ready = now();
    zmq_msg_t message;
    zmq_msg_init(&message);
    while (received < count && !stopping) {
        if (zmq_msg_recv(&message, socket, 0) < 0) {
            if (gone_idle(received, last, ready, idle_ms)) break;
            continue;
        }
        while (zmq_msg_more(&message) && zmq_msg_recv(&message, socket, 0) >= 0) {}
        last = now();
        if (received == 0) first = last;
        received++;
    }
    zmq_msg_close(&message);
    printf("received %ld seconds %f\n", received, last - first);
    fflush(stdout);
    zmq_close(socket);
    zmq_ctx_term(context);
    return 0;
}

static struct mosquitto *mqtt_connect(const char *path, void *state) {
    mosquitto_lib_init();
    struct mosquitto *client = mosquitto_new(NULL, true, state);
    if (!client || mosquitto_connect(client, path, 0, 60) != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "cannot connect to the MQTT broker at %s\n", path);
        exit(1);
    }
    return client;
}

static int mqtt_pub(const char *path, long count, int frame, double rate) {
    struct mosquitto *client = mqtt_connect(path, NULL);
    for (int i = 0; i < 10; i++) mosquitto_loop(client, 50, 1);  // CONNACK
    printf("ready\n");
    fflush(stdout);
    const char *topic = frame ? "sensor/frame/ankle-r" : "bench/small";
    const void *payload = frame ? (const void *)mqtt_frame : (const void *)small_part;
    int length = frame ? (int)sizeof mqtt_frame : (int)sizeof small_part;
    long sent = 0;
    double start = now();
    for (; sent < count && !stopping; sent++) {
        pace(rate, sent, start);
        // Not threaded: publish writes to the socket at once and queues what does not fit.
        if (mosquitto_publish(client, NULL, topic, length, payload, 0, false) != MOSQ_ERR_SUCCESS) break;
        if (sent % 256 == 0)
            while (mosquitto_want_write(client) && !stopping) mosquitto_loop(client, 10, 1);
    }
    while (mosquitto_want_write(client) && !stopping) mosquitto_loop(client, 10, 1);
    printf("sent %ld seconds %f\n", sent, now() - start);
    fflush(stdout);
    mosquitto_disconnect(client);
    mosquitto_destroy(client);
    mosquitto_lib_cleanup();
    return 0;
}

struct mqtt_counts { long received; double first, last; int subscribed; };

static void on_message(struct mosquitto *client, void *state, const struct mosquitto_message *message) {
    (void)client; (void)message;
    struct mqtt_counts *counts = state;
    counts->last = now();
    if (counts->received == 0) counts->first = counts->last;
    counts->received++;
}

static void on_subscribe(struct mosquitto *client, void *state, int mid, int qos_count, const int *granted) {
    (void)client; (void)mid; (void)qos_count; (void)granted;
    ((struct mqtt_counts *)state)->subscribed = 1;
}

static int mqtt_sub(const char *path, long count, int frame, int idle_ms) {
    struct mqtt_counts counts = {0, 0, 0, 0};
    struct mosquitto *client = mqtt_connect(path, &counts);
    mosquitto_message_callback_set(client, on_message);
    mosquitto_subscribe_callback_set(client, on_subscribe);
    mosquitto_subscribe(client, NULL, frame ? "sensor/#" : "bench/#", 0);
    while (!counts.subscribed && !stopping) mosquitto_loop(client, 50, 1);
    printf("ready\n");
    fflush(stdout);
    double ready = now();
    while (counts.received < count && !stopping) {
        mosquitto_loop(client, 100, 64);
        if (gone_idle(counts.received, counts.last, ready, idle_ms)) break;
    }
    printf("received %ld seconds %f\n", counts.received, counts.last - counts.first);
    fflush(stdout);
    mosquitto_disconnect(client);
    mosquitto_destroy(client);
    mosquitto_lib_cleanup();
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) return usage();
    if (strcmp(argv[1], "guard") == 0) return guard(argc, argv);
    if (argc < 5) return usage();
    catch_stop_signals();
    fill_parts();
    long count = atol(argv[3]);
    int frame = strcmp(argv[4], "frame") == 0;
    double rate = argc > 5 ? atof(argv[5]) : 0;
    int idle_ms = argc > 5 ? atoi(argv[5]) : 1000;
    if (strcmp(argv[1], "zmq-pub") == 0) return zmq_pub(argv[2], count, frame, rate);
    if (strcmp(argv[1], "zmq-sub") == 0) return zmq_sub(argv[2], count, frame, idle_ms);
    if (strcmp(argv[1], "mqtt-pub") == 0) return mqtt_pub(argv[2], count, frame, rate);
    if (strcmp(argv[1], "mqtt-sub") == 0) return mqtt_sub(argv[2], count, frame, idle_ms);
    return usage();
}
