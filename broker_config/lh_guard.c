/*
 * lh_guard: a Mosquitto 2.0 plugin (plugin API v5) that bounds what a device may do,
 * for Lämna & Hämta.  The ACL file says *which* topics a user may use; this plugin
 * adds what Mosquitto 2.0's ACL file cannot express (docs/broker.md, "The guard"):
 *
 *  1. Only the users in `share_users` (central) may SUBSCRIBE to a shared
 *     subscription ($share/GROUP/FILTER).  Mosquitto 2.0.11 grants every SUBSCRIBE
 *     whatever the ACL file says and filters at delivery; a device in central's
 *     group would be handed a share of every device's events, which the ACL then
 *     drops: central would never see them.  Refused here: SUBACK 0x87.
 *  2. Only the users in `wildcard_users` (central, monitor) may subscribe to a
 *     filter with + or #: a device needs exact topics only, and every wildcard
 *     subscription costs the broker a read check per matching message.
 *  3. Every other user (the devices) has a token bucket of `publish_burst`
 *     messages refilled at `publish_rate` per second, shared by all its
 *     connections: each PUBLISH (any QoS, wills included) takes one; an empty
 *     bucket means "not authorised" (PUBACK 0x87 for QoS 1; the message is
 *     dropped before it reaches any subscriber).  A PUBLISH whose payload exceeds
 *     `max_payload` bytes is refused the same way.  SUBSCRIBE filters have a
 *     bucket of their own (`subscribe_rate`, `subscribe_burst`), so a device
 *     that floods publishes can still resubscribe after a reconnect.
 *  4. A refused PUBLISH still costs the broker its reading and decryption.  A user
 *     refused `kick_after` times in a row (a hallway device never is: it has at most
 *     `window` messages in flight and resends only after a timeout) has all its
 *     connections closed, with their wills, on the broker's next tick (never inside
 *     the check, which must not free the client it is checking).  For `penalty_s`
 *     its CONNECTs are refused (CONNACK 0x87: asked after the password file accepted
 *     them) and any PUBLISH closes its connections again; each further cut-off
 *     doubles the penalty, up to an hour.  `lh-provision revoke-device` is the cure.
 *
 * Everything else is deferred to the ACL file (which has already granted it:
 * Mosquitto asks plugins only after its own checks pass).  Options, from
 * mosquitto.conf (`plugin_opt_NAME VALUE`; read at start, not on SIGHUP):
 *
 *     share_users     space/comma separated users        default "central"
 *     wildcard_users  space/comma separated users        default "central monitor"
 *     publish_rate    tokens per second (decimal)        default 5
 *     publish_burst   bucket size                        default 30
 *     max_payload     bytes                              default 65536
 *     subscribe_rate  filters per second                 default 2
 *     subscribe_burst bucket size                        default 300
 *     kick_after      refusals in a row before the user's connections are closed  default 200
 *     penalty_s       seconds it may not connect after that (doubling each time)  default 30
 *
 * Build (only a C compiler is needed: the few declarations of Mosquitto's plugin
 * API used here are copied below from 2.0.11's mosquitto_broker.h/mosquitto_plugin.h,
 * EPL-2.0 OR EDL-1.0, whose ABI is stable across 2.0.x):
 *
 *     cc -shared -fPIC -O2 -Wall -o lh_guard.so lh_guard.c
 *
 * `lh-provision init-site` and `lh-provision update-broker` do this.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- from mosquitto.h / mosquitto_plugin.h / mosquitto_broker.h (2.0.11) ---- */
#define MOSQ_ERR_SUCCESS 0
#define MOSQ_ERR_NOMEM 1
#define MOSQ_ERR_INVAL 3
#define MOSQ_ERR_AUTH 11
#define MOSQ_ERR_ACL_DENIED 12
#define MOSQ_ERR_PLUGIN_DEFER 17
#define MOSQ_ACL_WRITE 0x02
#define MOSQ_ACL_SUBSCRIBE 0x04
#define MOSQ_EVT_ACL_CHECK 2
#define MOSQ_EVT_BASIC_AUTH 3
#define MOSQ_EVT_TICK 9
#define MOSQ_LOG_NOTICE (1 << 1)
#define MOSQ_LOG_WARNING (1 << 2)

struct mosquitto;
typedef struct mosquitto_plugin_id_t mosquitto_plugin_id_t;
typedef struct mqtt5__property mosquitto_property;
typedef int (*MOSQ_FUNC_generic_callback)(int, void *, void *);

struct mosquitto_opt {
	char *key;
	char *value;
};

struct mosquitto_evt_acl_check {
	void *future;
	struct mosquitto *client;
	const char *topic;
	const void *payload;
	mosquitto_property *properties;
	int access;
	uint32_t payloadlen;
	uint8_t qos;
	bool retain;
	void *future2[4];
};

struct mosquitto_evt_basic_auth {
	void *future;
	struct mosquitto *client;
	char *username;
	char *password;
	void *future2[4];
};

int mosquitto_callback_register(mosquitto_plugin_id_t *identifier, int event,
		MOSQ_FUNC_generic_callback cb_func, const void *event_data, void *userdata);
int mosquitto_callback_unregister(mosquitto_plugin_id_t *identifier, int event,
		MOSQ_FUNC_generic_callback cb_func, const void *event_data);
const char *mosquitto_client_username(const struct mosquitto *client);
int mosquitto_kick_client_by_username(const char *username, bool with_will);
void mosquitto_log_printf(int level, const char *fmt, ...);
/* ---------------------------------------------------------------------------- */

#define MAX_USERS_LIST 16

struct tokens {
	double tokens;
	double updated;      /* monotonic seconds */
	uint64_t refused;    /* since the last log line */
	double logged;       /* when the last log line was written */
};

struct bucket {
	char *user;          /* NULL: free slot */
	struct tokens publish;
	struct tokens subscribe;
	uint64_t refused_in_a_row;
	double penalty_until;  /* monotonic seconds */
	double penalty;        /* the next penalty's length, seconds */
	bool kick;             /* close its connections at the next tick */
};

struct limit {
	const char *what;
	double rate;
	double burst;
};

static mosquitto_plugin_id_t *plugin_id;
static char *share_users[MAX_USERS_LIST];
static char *wildcard_users[MAX_USERS_LIST];
static struct limit publish_limit = {"messages", 5.0, 30.0};
static struct limit subscribe_limit = {"subscriptions", 2.0, 300.0};
static uint32_t max_payload = 65536;
static uint64_t kick_after = 200;
static double penalty_s = 30.0;
static bool kicks_pending;
static struct bucket *table;
static size_t table_size;  /* a power of two */
static size_t table_used;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void free_list(char **list)
{
	for(int i = 0; i < MAX_USERS_LIST; i++){
		free(list[i]);
		list[i] = NULL;
	}
}

static int parse_list(char **list, const char *value)
{
	free_list(list);
	char *copy = strdup(value);
	if(!copy) return MOSQ_ERR_NOMEM;
	int n = 0;
	for(char *tok = strtok(copy, " ,"); tok; tok = strtok(NULL, " ,")){
		if(n == MAX_USERS_LIST) break;
		list[n] = strdup(tok);
		if(!list[n]){
			free(copy);
			return MOSQ_ERR_NOMEM;
		}
		n++;
	}
	free(copy);
	return MOSQ_ERR_SUCCESS;
}

static bool in_list(char **list, const char *user)
{
	if(!user) return false;
	for(int i = 0; i < MAX_USERS_LIST && list[i]; i++){
		if(!strcmp(list[i], user)) return true;
	}
	return false;
}

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;  /* FNV-1a */
	for(; *s; s++){
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static struct bucket *slot_for(struct bucket *t, size_t size, const char *user)
{
	size_t i = (size_t)hash(user) & (size - 1);
	while(t[i].user && strcmp(t[i].user, user)){
		i = (i + 1) & (size - 1);
	}
	return &t[i];
}

static int grow(void)
{
	size_t size = table_size ? table_size * 2 : 1024;
	struct bucket *t = calloc(size, sizeof(*t));
	if(!t) return MOSQ_ERR_NOMEM;
	for(size_t i = 0; i < table_size; i++){
		if(table[i].user) *slot_for(t, size, table[i].user) = table[i];
	}
	free(table);
	table = t;
	table_size = size;
	return MOSQ_ERR_SUCCESS;
}

/* The user's bucket (created full); NULL only when out of memory. */
static struct bucket *bucket_of(const char *user)
{
	if((table_used + 1) * 2 > table_size && grow() != MOSQ_ERR_SUCCESS) return NULL;
	struct bucket *b = slot_for(table, table_size, user);
	if(!b->user){
		b->user = strdup(user);
		if(!b->user) return NULL;
		double t = now_s();
		b->publish = (struct tokens){publish_limit.burst, t, 0, 0.0};
		b->subscribe = (struct tokens){subscribe_limit.burst, t, 0, 0.0};
		b->refused_in_a_row = 0;
		b->penalty_until = 0.0;
		b->penalty = penalty_s;
		b->kick = false;
		table_used++;
	}
	return b;
}

/* Refill ``k``; true if a token was taken. */
static bool take(struct tokens *k, const struct limit *l, double t)
{
	k->tokens += (t - k->updated) * l->rate;
	if(k->tokens > l->burst) k->tokens = l->burst;
	k->updated = t;
	if(k->tokens < 1.0) return false;
	k->tokens -= 1.0;
	return true;
}

/* A refusal of a device's request: counted, logged at most every 10 s per user and kind. */
static int refuse(struct bucket *b, struct tokens *k, const char *what, double t)
{
	k->refused++;
	if(t - k->logged >= 10.0){
		mosquitto_log_printf(MOSQ_LOG_WARNING, "lh_guard: refused %s %llu %s in the last 10 s (%s)",
				b->user, (unsigned long long)k->refused, k == &b->publish ? "messages" : "subscriptions", what);
		k->refused = 0;
		k->logged = t;
	}
	return MOSQ_ERR_ACL_DENIED;
}

static int device_publish(const char *user, uint32_t payloadlen)
{
	struct bucket *b = bucket_of(user);
	if(!b) return MOSQ_ERR_ACL_DENIED;  /* fail closed */
	double t = now_s();
	if(t < b->penalty_until){  /* a connection that slipped through: close it again */
		b->kick = true;
		kicks_pending = true;
		return MOSQ_ERR_ACL_DENIED;
	}
	const char *why = NULL;
	if(!take(&b->publish, &publish_limit, t)) why = "over its rate";
	else if(payloadlen > max_payload) why = "payload over max_payload";
	if(!why){
		b->refused_in_a_row = 0;
		return MOSQ_ERR_PLUGIN_DEFER;
	}
	if(++b->refused_in_a_row >= kick_after){
		b->refused_in_a_row = 0;
		b->penalty_until = t + b->penalty;
		b->kick = true;
		kicks_pending = true;
		mosquitto_log_printf(MOSQ_LOG_WARNING,
				"lh_guard: %s refused %llu messages in a row: closing its connections; "
				"it may not connect for %.0f s", user, (unsigned long long)kick_after, b->penalty);
		b->penalty = b->penalty * 2 > 3600.0 ? 3600.0 : b->penalty * 2;
	}
	return refuse(b, &b->publish, why, t);
}

static int device_subscribe(const char *user, const char *filter)
{
	struct bucket *b = bucket_of(user);
	if(!b) return MOSQ_ERR_ACL_DENIED;
	double t = now_s();
	if(!take(&b->subscribe, &subscribe_limit, t)) return refuse(b, &b->subscribe, "over its rate", t);
	if(!strncmp(filter, "$share/", 7)){
		mosquitto_log_printf(MOSQ_LOG_WARNING, "lh_guard: refused %s a shared subscription to %s", user, filter);
		return MOSQ_ERR_ACL_DENIED;
	}
	if(strchr(filter, '+') || strchr(filter, '#')){
		mosquitto_log_printf(MOSQ_LOG_WARNING, "lh_guard: refused %s a wildcard subscription to %s", user, filter);
		return MOSQ_ERR_ACL_DENIED;
	}
	return MOSQ_ERR_PLUGIN_DEFER;
}

static bool is_service(const char *user)
{
	return in_list(share_users, user) || in_list(wildcard_users, user);
}

static int on_acl_check(int event, void *event_data, void *userdata)
{
	(void)event;
	(void)userdata;
	struct mosquitto_evt_acl_check *ed = event_data;
	const char *user = mosquitto_client_username(ed->client);

	if(ed->access == MOSQ_ACL_SUBSCRIBE){
		const char *filter = ed->topic ? ed->topic : "";
		if(!user) return MOSQ_ERR_ACL_DENIED;  /* allow_anonymous is false: never happens */
		if(!is_service(user)) return device_subscribe(user, filter);  /* bounded, then checked */
		if(!strncmp(filter, "$share/", 7) && !in_list(share_users, user)){
			mosquitto_log_printf(MOSQ_LOG_WARNING, "lh_guard: refused %s a shared subscription to %s", user, filter);
			return MOSQ_ERR_ACL_DENIED;
		}
		return MOSQ_ERR_PLUGIN_DEFER;
	}
	if(ed->access == MOSQ_ACL_WRITE && user && !is_service(user)){
		return device_publish(user, ed->payloadlen);
	}
	return MOSQ_ERR_PLUGIN_DEFER;
}

static int on_basic_auth(int event, void *event_data, void *userdata)
{
	(void)event;
	(void)userdata;
	struct mosquitto_evt_basic_auth *ed = event_data;
	if(!ed->username || !table_size) return MOSQ_ERR_PLUGIN_DEFER;
	struct bucket *b = slot_for(table, table_size, ed->username);
	if(b->user && now_s() < b->penalty_until){
		b->publish.refused++;
		return MOSQ_ERR_AUTH;
	}
	return MOSQ_ERR_PLUGIN_DEFER;
}

static int on_tick(int event, void *event_data, void *userdata)
{
	(void)event;
	(void)event_data;
	(void)userdata;
	if(!kicks_pending) return MOSQ_ERR_SUCCESS;
	kicks_pending = false;
	for(size_t i = 0; i < table_size; i++){
		if(table[i].user && table[i].kick){
			table[i].kick = false;
			mosquitto_kick_client_by_username(table[i].user, true);
		}
	}
	return MOSQ_ERR_SUCCESS;
}

int mosquitto_plugin_version(int supported_version_count, const int *supported_versions)
{
	for(int i = 0; i < supported_version_count; i++){
		if(supported_versions[i] == 5) return 5;
	}
	return -1;
}

int mosquitto_plugin_init(mosquitto_plugin_id_t *identifier, void **userdata,
		struct mosquitto_opt *options, int option_count)
{
	(void)userdata;
	plugin_id = identifier;
	int rc = parse_list(share_users, "central");
	if(!rc) rc = parse_list(wildcard_users, "central monitor");
	for(int i = 0; !rc && i < option_count; i++){
		const char *k = options[i].key, *v = options[i].value;
		if(!strcmp(k, "share_users")) rc = parse_list(share_users, v);
		else if(!strcmp(k, "wildcard_users")) rc = parse_list(wildcard_users, v);
		else if(!strcmp(k, "publish_rate")) publish_limit.rate = atof(v);
		else if(!strcmp(k, "publish_burst")) publish_limit.burst = atof(v);
		else if(!strcmp(k, "subscribe_rate")) subscribe_limit.rate = atof(v);
		else if(!strcmp(k, "subscribe_burst")) subscribe_limit.burst = atof(v);
		else if(!strcmp(k, "max_payload")) max_payload = (uint32_t)strtoul(v, NULL, 10);
		else if(!strcmp(k, "kick_after")) kick_after = strtoull(v, NULL, 10);
		else if(!strcmp(k, "penalty_s")) penalty_s = atof(v);
	}
	if(rc) return rc;
	if(!(publish_limit.rate > 0.0) || !(publish_limit.burst >= 1.0) || !(subscribe_limit.rate > 0.0)
			|| !(subscribe_limit.burst >= 1.0) || max_payload == 0 || kick_after == 0 || !(penalty_s >= 0.0)){
		mosquitto_log_printf(MOSQ_LOG_WARNING, "lh_guard: rates, bursts and max_payload must be positive");
		return MOSQ_ERR_INVAL;
	}
	mosquitto_log_printf(MOSQ_LOG_NOTICE,
			"lh_guard: devices limited to %.1f messages/s (burst %.0f), %u-byte payloads, "
			"%.1f subscriptions/s (burst %.0f)", publish_limit.rate, publish_limit.burst, max_payload,
			subscribe_limit.rate, subscribe_limit.burst);
	rc = mosquitto_callback_register(plugin_id, MOSQ_EVT_ACL_CHECK, on_acl_check, NULL, NULL);
	if(!rc) rc = mosquitto_callback_register(plugin_id, MOSQ_EVT_TICK, on_tick, NULL, NULL);
	if(!rc) rc = mosquitto_callback_register(plugin_id, MOSQ_EVT_BASIC_AUTH, on_basic_auth, NULL, NULL);
	return rc;
}

int mosquitto_plugin_cleanup(void *userdata, struct mosquitto_opt *options, int option_count)
{
	(void)userdata;
	(void)options;
	(void)option_count;
	mosquitto_callback_unregister(plugin_id, MOSQ_EVT_ACL_CHECK, on_acl_check, NULL);
	mosquitto_callback_unregister(plugin_id, MOSQ_EVT_TICK, on_tick, NULL);
	mosquitto_callback_unregister(plugin_id, MOSQ_EVT_BASIC_AUTH, on_basic_auth, NULL);
	for(size_t i = 0; i < table_size; i++) free(table[i].user);
	free(table);
	table = NULL;
	table_size = table_used = 0;
	free_list(share_users);
	free_list(wildcard_users);
	return MOSQ_ERR_SUCCESS;
}
