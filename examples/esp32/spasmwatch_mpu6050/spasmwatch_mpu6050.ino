// SpasmWatch DIY sensor: an ESP32 with an MPU6050 (I2C: SDA 21, SCL 22) sends 50 Hz
// acceleration frames over MQTT to spasmwatch/sensor/<SENSOR_ID>/frame, in the producer
// endpoint's JSON frame (docs/plug-in-a-sensor.md, "1. The frame" and "2d. MQTT").
// Libraries: PubSubClient (Nick O'Leary). Board: any ESP32 in the Arduino core.
#include <PubSubClient.h>
#include <WiFi.h>
#include <Wire.h>
#include <sys/time.h>
#include <time.h>

const char* WIFI_SSID = "your-wifi";
const char* WIFI_PASSWORD = "your-wifi-password";
const char* MQTT_HOST = "192.168.1.10";  // the home server running Mosquitto
const int MQTT_PORT = 1883;
const char* SENSOR_ID = "esp32-calf";  // also the broker user: the ACL lets it write only its own topic
const char* MQTT_PASSWORD = "device-password";
const char* PLACEMENT = "left-calf";  // a body site from docs/wire-format.md

const int RATE_HZ = 50;
const int PER_FRAME = 25;  // 0.5 s of samples per frame
const uint8_t MPU = 0x68;
const float LSB_PER_G = 4096.0;  // ±8 g range (a fall exceeds 2.5 g)

WiFiClient net;
PubSubClient mqtt(net);
float samples[PER_FRAME * 3];  // ax ay az, interleaved
int count = 0;
double firstSampleTime = 0;
unsigned long seq = 0;
char frameTopic[96], errorTopic[96];
char payload[2048];

void writeRegister(uint8_t reg, uint8_t value) {
  Wire.beginTransmission(MPU);
  Wire.write(reg);
  Wire.write(value);
  Wire.endTransmission();
}

void onError(char* topic, byte* message, unsigned int length) {
  // The producer endpoint's reply for a refused frame: {"error":"...","ok":false,"reason":"..."}
  Serial.print("SpasmWatch refused a frame: ");
  Serial.write(message, length);
  Serial.println();
}

double now() {
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  return tv.tv_sec + tv.tv_usec / 1e6;
}

void connectMQTT() {
  while (!mqtt.connected()) {
    if (mqtt.connect(SENSOR_ID, SENSOR_ID, MQTT_PASSWORD)) {
      mqtt.subscribe(errorTopic);
    } else {
      delay(2000);
    }
  }
}

void setup() {
  Serial.begin(115200);
  Wire.begin();
  writeRegister(0x6B, 0x00);  // PWR_MGMT_1: wake up
  writeRegister(0x1C, 0x10);  // ACCEL_CONFIG: ±8 g
  WiFi.begin(WIFI_SSID, WIFI_PASSWORD);
  while (WiFi.status() != WL_CONNECTED) delay(500);
  configTime(0, 0, "pool.ntp.org");  // UTC; until it is set, frames leave firstSampleTime out
  snprintf(frameTopic, sizeof frameTopic, "spasmwatch/sensor/%s/frame", SENSOR_ID);
  snprintf(errorTopic, sizeof errorTopic, "spasmwatch/sensor/%s/error", SENSOR_ID);
  mqtt.setServer(MQTT_HOST, MQTT_PORT);
  mqtt.setBufferSize(sizeof payload);  // PubSubClient's default (256 bytes) is too small for a frame
  mqtt.setCallback(onError);
  connectMQTT();
}

void publishFrame() {
  int n = snprintf(payload, sizeof payload,
                   "{\"v\":1,\"sensorId\":\"%s\",\"kind\":\"imu\",\"placement\":\"%s\",\"sampleRate\":%d,\"unit\":\"g\","
                   "\"device\":\"strap\",\"producer\":\"esp32-mpu6050\",\"seq\":%lu,",
                   SENSOR_ID, PLACEMENT, RATE_HZ, seq++);
  if (firstSampleTime > 1e9) n += snprintf(payload + n, sizeof payload - n, "\"firstSampleTime\":%.3f,", firstSampleTime);
  n += snprintf(payload + n, sizeof payload - n, "\"samples\":[");
  for (int i = 0; i < PER_FRAME * 3; i++) n += snprintf(payload + n, sizeof payload - n, i ? ",%.4f" : "%.4f", samples[i]);
  snprintf(payload + n, sizeof payload - n, "]}");
  if (!mqtt.publish(frameTopic, payload)) Serial.println("frame not sent (MQTT disconnected)");
}

void loop() {
  static unsigned long next = millis();
  if (!mqtt.connected()) connectMQTT();
  mqtt.loop();
  if ((long)(millis() - next) < 0) return;
  next += 1000 / RATE_HZ;
  Wire.beginTransmission(MPU);
  Wire.write(0x3B);  // ACCEL_XOUT_H: ax, ay, az as big-endian int16
  Wire.endTransmission(false);
  Wire.requestFrom((int)MPU, 6);
  if (count == 0) firstSampleTime = now();
  for (int axis = 0; axis < 3; axis++) {
    int high = Wire.read();  // two statements: the order of reads matters
    int low = Wire.read();
    int16_t raw = (int16_t)((high << 8) | low);
    samples[count * 3 + axis] = raw / LSB_PER_G;
  }
  if (++count == PER_FRAME) {
    publishFrame();
    count = 0;
  }
}
