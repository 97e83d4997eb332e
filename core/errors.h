/*
 * errors.h - snmpmgrd's numbered errors (SPEC.md section 5).
 *
 * The numbers are the reference SNMP manager component's, kept so operators
 * can search for them.  Core functions that fail return -1 (or NULL) and
 * record the number and a short detail with snmpmgr_seterr(); callers read
 * them back with snmpmgr_lasterr() and snmpmgr_lasterr_detail().  The daemon
 * is single-threaded; the record is thread-local all the same.
 */
#ifndef SNMPMGR_ERRORS_H
#define SNMPMGR_ERRORS_H

enum snmpmgr_error {
	SNMPMGR_OK			= 0,

	/* Transport */
	SNMPMGR_ERR_ALREADY_ACTIVE	= 104,
	SNMPMGR_ERR_LOCAL_PORT_ACTIVE	= 106,
	SNMPMGR_ERR_LOCAL_HOST_ACTIVE	= 107,
	SNMPMGR_ERR_MUST_BE_ACTIVE	= 109,
	SNMPMGR_ERR_SOCKOPT_ACTIVE	= 112,	/* 112-115, 117: socket option while active */
	SNMPMGR_ERR_PORT_ZERO_CONNECTION = 116,
	SNMPMGR_ERR_MSG_TOO_LONG	= 118,
	SNMPMGR_ERR_MSG_TOO_SHORT	= 119,

	SNMPMGR_ERR_TIMEOUT		= 201,

	/* DTLS */
	SNMPMGR_ERR_TLS_LIBRARY		= 270,
	SNMPMGR_ERR_TLS_CERT_STORE	= 271,
	SNMPMGR_ERR_TLS_CERT_NOT_FOUND	= 272,
	SNMPMGR_ERR_TLS_CREDENTIALS	= 273,
	SNMPMGR_ERR_TLS_NO_CHAIN	= 274,
	SNMPMGR_ERR_TLS_VERIFY_CHAIN	= 275,
	SNMPMGR_ERR_TLS_HANDSHAKE	= 276,
	SNMPMGR_ERR_TLS_CERT_VERIFY	= 280,
	SNMPMGR_ERR_TLS_NO_CLIENT_CERT	= 281,
	SNMPMGR_ERR_TLS_NO_SERVER_CERT	= 282,
	SNMPMGR_ERR_TLS_ENCRYPT		= 283,
	SNMPMGR_ERR_TLS_DECRYPT		= 284,

	/* SNMP */
	SNMPMGR_ERR_BAD_INDEX		= 301,
	SNMPMGR_ERR_TOO_MANY_OBJECTS	= 302,
	SNMPMGR_ERR_NOT_IP_ADDRESS	= 303,
	SNMPMGR_ERR_VERSION		= 305,
	SNMPMGR_ERR_PDU_TYPE		= 306,
	SNMPMGR_ERR_BUSY		= 307,
	SNMPMGR_ERR_AUTH_FAILED		= 308,
	SNMPMGR_ERR_NO_AUTH_PASSWORD	= 309,
	SNMPMGR_ERR_NO_SIGNATURE	= 310,
	SNMPMGR_ERR_NO_REMOTE_TIME	= 311,
	SNMPMGR_ERR_NO_TIMEOUT		= 312,
	SNMPMGR_ERR_DECRYPT		= 313,
	SNMPMGR_ERR_NO_PRIV_PASSWORD	= 314,
	SNMPMGR_ERR_NOT_ENCRYPTED	= 315,
	SNMPMGR_ERR_SEC_MODEL		= 316,
	SNMPMGR_ERR_DEFECTIVE		= 317,
	SNMPMGR_ERR_ORIGIN		= 318,
	SNMPMGR_ERR_ROLE		= 319,
	SNMPMGR_ERR_BAD_PACKET		= 320,
	SNMPMGR_ERR_NOT_AUTHENTICATED	= 321,
	SNMPMGR_ERR_NO_SUCH_OID		= 322,
	SNMPMGR_ERR_NO_PRIV_PARAM	= 323,
	SNMPMGR_ERR_ENGINE_ID		= 324,
	SNMPMGR_ERR_TIME_FRAME		= 325,
	SNMPMGR_ERR_USER_NAME		= 326,
	SNMPMGR_ERR_SEC_LEVEL		= 327,
	SNMPMGR_ERR_DISCOVERY		= 328,
	SNMPMGR_ERR_KEY_LENGTH		= 329,
	SNMPMGR_ERR_NO_AUTH_KEY		= 330,
	SNMPMGR_ERR_OUT_OF_RANGE	= 333,

	/* snmpmgrd's own: a request another cluster node owns that could
	 * not be forwarded or was not answered, a datagram the system
	 * refused to send (its errno text is the detail), an operation
	 * cancelled, a feature not built. */
	SNMPMGR_ERR_FORWARD		= 396,
	SNMPMGR_ERR_SEND		= 397,
	SNMPMGR_ERR_INTERRUPTED		= 398,
	SNMPMGR_ERR_NOT_SUPPORTED	= 399,
};

/* The fixed text of a numbered error; "unknown error" for any other number. */
const char	*snmpmgr_strerror(int code);

/* Record why the current call fails.  fmt may be NULL for no detail. */
void		 snmpmgr_seterr(int code, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/* The number recorded by the last failing core call (0 if none). */
int		 snmpmgr_lasterr(void);
/* Its detail, or its fixed text when it has none.  Never NULL. */
const char	*snmpmgr_lasterr_detail(void);
void		 snmpmgr_clearerr(void);

#endif /* SNMPMGR_ERRORS_H */
