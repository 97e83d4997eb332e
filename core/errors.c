/*
 * errors.c - texts of the numbered errors and the per-thread last-error
 * record that core functions fill when they fail.
 */
#include <stdarg.h>
#include <stdio.h>

#include "errors.h"

struct errtext {
	int		 code;
	const char	*text;
};

static const struct errtext errtexts[] = {
	{ SNMPMGR_OK,			"no error" },
	{ SNMPMGR_ERR_ALREADY_ACTIVE,	"already active" },
	{ SNMPMGR_ERR_LOCAL_PORT_ACTIVE, "cannot change local port while active" },
	{ SNMPMGR_ERR_LOCAL_HOST_ACTIVE, "cannot change local host while active" },
	{ SNMPMGR_ERR_MUST_BE_ACTIVE,	"must be active" },
	{ 112,				"cannot change socket option while active" },
	{ 113,				"cannot change socket option while active" },
	{ 114,				"cannot change socket option while active" },
	{ 115,				"cannot change socket option while active" },
	{ SNMPMGR_ERR_PORT_ZERO_CONNECTION, "remote port zero is not allowed with use_connection" },
	{ 117,				"cannot change socket option while active" },
	{ SNMPMGR_ERR_MSG_TOO_LONG,	"message longer than max_packet_size" },
	{ SNMPMGR_ERR_MSG_TOO_SHORT,	"message too short" },
	{ SNMPMGR_ERR_TIMEOUT,		"timeout" },
	{ SNMPMGR_ERR_TLS_LIBRARY,	"cannot load security library" },
	{ SNMPMGR_ERR_TLS_CERT_STORE,	"cannot open certificate store" },
	{ SNMPMGR_ERR_TLS_CERT_NOT_FOUND, "certificate not found" },
	{ SNMPMGR_ERR_TLS_CREDENTIALS,	"cannot acquire credentials" },
	{ SNMPMGR_ERR_TLS_NO_CHAIN,	"no certificate chain" },
	{ SNMPMGR_ERR_TLS_VERIFY_CHAIN,	"cannot verify certificate chain" },
	{ SNMPMGR_ERR_TLS_HANDSHAKE,	"handshake error" },
	{ SNMPMGR_ERR_TLS_CERT_VERIFY,	"certificate verification error" },
	{ SNMPMGR_ERR_TLS_NO_CLIENT_CERT, "no client certificate" },
	{ SNMPMGR_ERR_TLS_NO_SERVER_CERT, "no server certificate" },
	{ SNMPMGR_ERR_TLS_ENCRYPT,	"encrypt error" },
	{ SNMPMGR_ERR_TLS_DECRYPT,	"decrypt error" },
	{ SNMPMGR_ERR_BAD_INDEX,	"bad object index" },
	{ SNMPMGR_ERR_TOO_MANY_OBJECTS,	"too many objects" },
	{ SNMPMGR_ERR_NOT_IP_ADDRESS,	"not an IP address" },
	{ SNMPMGR_ERR_VERSION,		"unsupported SNMP version" },
	{ SNMPMGR_ERR_PDU_TYPE,		"unknown PDU type" },
	{ SNMPMGR_ERR_BUSY,		"busy" },
	{ SNMPMGR_ERR_AUTH_FAILED,	"verification failed" },
	{ SNMPMGR_ERR_NO_AUTH_PASSWORD,	"missing auth password" },
	{ SNMPMGR_ERR_NO_SIGNATURE,	"missing signature" },
	{ SNMPMGR_ERR_NO_REMOTE_TIME,	"missing remote time" },
	{ SNMPMGR_ERR_NO_TIMEOUT,	"missing timeout value" },
	{ SNMPMGR_ERR_DECRYPT,		"decryption failed" },
	{ SNMPMGR_ERR_NO_PRIV_PASSWORD,	"missing priv password" },
	{ SNMPMGR_ERR_NOT_ENCRYPTED,	"not encrypted" },
	{ SNMPMGR_ERR_SEC_MODEL,	"security model not supported" },
	{ SNMPMGR_ERR_DEFECTIVE,	"defective packet" },
	{ SNMPMGR_ERR_ORIGIN,		"not from bound point" },
	{ SNMPMGR_ERR_ROLE,		"operation not permitted in this role" },
	{ SNMPMGR_ERR_BAD_PACKET,	"bad packet" },
	{ SNMPMGR_ERR_NOT_AUTHENTICATED, "message not authenticated" },
	{ SNMPMGR_ERR_NO_SUCH_OID,	"no such OID" },
	{ SNMPMGR_ERR_NO_PRIV_PARAM,	"missing privacy parameter" },
	{ SNMPMGR_ERR_ENGINE_ID,	"bad engine ID" },
	{ SNMPMGR_ERR_TIME_FRAME,	"bad time frame" },
	{ SNMPMGR_ERR_USER_NAME,	"bad user name" },
	{ SNMPMGR_ERR_SEC_LEVEL,	"security level not accepted" },
	{ SNMPMGR_ERR_DISCOVERY,	"discovery failed" },
	{ SNMPMGR_ERR_KEY_LENGTH,	"incorrect key length" },
	{ SNMPMGR_ERR_NO_AUTH_KEY,	"no authentication password" },
	{ SNMPMGR_ERR_OUT_OF_RANGE,	"returned OID out of range" },
	{ SNMPMGR_ERR_FORWARD,		"owner node did not answer" },
	{ SNMPMGR_ERR_SEND,		"send failed" },
	{ SNMPMGR_ERR_INTERRUPTED,	"interrupted" },
	{ SNMPMGR_ERR_NOT_SUPPORTED,	"not supported" },
};

static __thread int	lasterr;
static __thread char	lastdetail[256];

const char *
snmpmgr_strerror(int code)
{
	size_t i;

	for (i = 0; i < sizeof(errtexts) / sizeof(errtexts[0]); i++)
		if (errtexts[i].code == code)
			return errtexts[i].text;
	return "unknown error";
}

void
snmpmgr_seterr(int code, const char *fmt, ...)
{
	va_list ap;

	lasterr = code;
	lastdetail[0] = '\0';
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(lastdetail, sizeof(lastdetail), fmt, ap);
		va_end(ap);
	}
}

int
snmpmgr_lasterr(void)
{
	return lasterr;
}

const char *
snmpmgr_lasterr_detail(void)
{
	if (lastdetail[0] == '\0')
		return snmpmgr_strerror(lasterr);
	return lastdetail;
}

void
snmpmgr_clearerr(void)
{
	lasterr = 0;
	lastdetail[0] = '\0';
}
