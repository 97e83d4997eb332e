/*
 * bigtable.c - a Net-SNMP dlmod module for snmpmgrd's walk benchmark.
 *
 * It gives snmpd a computed table of BIGTABLE_ROWS rows by BIGTABLE_COLS
 * typed columns under the private enterprise OID 1.3.6.1.4.1.99999.1
 * (50,000 objects), with no storage at all: every value is derived from
 * its column and row, so the agent answers fast enough that a walk
 * measures the manager, not the agent.  Loaded with
 *
 *	dlmod bigtable /path/to/bigtable.so
 *
 * in the benchmark's own snmpd.conf (see bench/README.md).  Built with
 *
 *	gcc -shared -fPIC -O2 $(net-snmp-config --cflags) -o bigtable.so \
 *	    bigtable.c
 *
 * Objects are BASE.1.COL.ROW (an SMI table: entry 1, column, index):
 *	col 1  Integer32	row
 *	col 2  OCTET STRING	"row-NNNNN"
 *	col 3  Counter32	row * 7
 *	col 4  Counter64	row << 32 | row (high word set on purpose)
 *	col 5  Gauge32		row % 1000
 *
 * The handler is a raw one: GET answers exact instances, GETNEXT computes
 * the successor (RFC 3416 4.2.2 lexicographic order, column by column);
 * GETBULK reaches it as repeated GETNEXTs through the bulk_to_next helper
 * that netsnmp_register_handler() adds.
 */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <stdio.h>
#include <string.h>

#define BIGTABLE_ROWS	10000
#define BIGTABLE_COLS	5

void	init_bigtable(void);
void	deinit_bigtable(void);

/* 1.3.6.1.4.1.99999.1 (table) . 1 (entry) */
static const oid bigtable_base[] = { 1, 3, 6, 1, 4, 1, 99999, 1 };
static const oid bigtable_entry[] = { 1, 3, 6, 1, 4, 1, 99999, 1, 1 };
#define BIGTABLE_ENTRY_LEN	OID_LENGTH(bigtable_entry)
#define BIGTABLE_INST_LEN	(BIGTABLE_ENTRY_LEN + 2)

static netsnmp_handler_registration *bigtable_reg;

/* Put the value of (col, row) into vb. */
static void
bigtable_value(netsnmp_variable_list *vb, unsigned col, unsigned row)
{
	struct counter64 c64;
	char	 text[16];
	long	 l;
	u_long	 ul;

	switch (col) {
	case 1:
		l = row;
		snmp_set_var_typed_value(vb, ASN_INTEGER, &l, sizeof(l));
		break;
	case 2:
		snprintf(text, sizeof(text), "row-%05u", row);
		snmp_set_var_typed_value(vb, ASN_OCTET_STR, text,
		    strlen(text));
		break;
	case 3:
		ul = (u_long)row * 7;
		snmp_set_var_typed_value(vb, ASN_COUNTER, &ul, sizeof(ul));
		break;
	case 4:
		c64.high = row;
		c64.low = row;
		snmp_set_var_typed_value(vb, ASN_COUNTER64, &c64,
		    sizeof(c64));
		break;
	default:
		ul = row % 1000;
		snmp_set_var_typed_value(vb, ASN_GAUGE, &ul, sizeof(ul));
		break;
	}
}

/*
 * The first instance after name, as (col, row); 0 when name is at or past
 * the table's last object.
 */
static int
bigtable_next(const oid *name, size_t len, unsigned *col, unsigned *row)
{
	size_t	 n = len < BIGTABLE_ENTRY_LEN ? len : BIGTABLE_ENTRY_LEN;
	int	 cmp;
	oid	 c, r;

	cmp = snmp_oid_compare(name, n, bigtable_entry, n);
	if (cmp < 0 || len <= BIGTABLE_ENTRY_LEN) {
		if (cmp > 0)
			return 0;
		*col = 1;	/* before the entry, or a prefix of it */
		*row = 1;
		return 1;
	}
	if (cmp > 0)
		return 0;
	c = name[BIGTABLE_ENTRY_LEN];
	if (c < 1) {
		*col = 1;
		*row = 1;
		return 1;
	}
	if (c > BIGTABLE_COLS)
		return 0;
	if (len == BIGTABLE_ENTRY_LEN + 1) {
		*col = c;
		*row = 1;
		return 1;
	}
	/* name is COL.R[.more]: every such name sorts before COL.(R+1) */
	r = name[BIGTABLE_ENTRY_LEN + 1];
	if (r < BIGTABLE_ROWS) {
		*col = c;
		*row = r + 1;
		return 1;
	}
	if (c == BIGTABLE_COLS)
		return 0;
	*col = c + 1;
	*row = 1;
	return 1;
}

static int
bigtable_handler_cb(netsnmp_mib_handler *handler,
    netsnmp_handler_registration *reginfo,
    netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
	netsnmp_request_info *req;
	netsnmp_variable_list *vb;
	oid	 inst[BIGTABLE_INST_LEN];
	unsigned col, row;

	(void)handler;
	(void)reginfo;
	for (req = requests; req != NULL; req = req->next) {
		if (req->processed)
			continue;
		vb = req->requestvb;
		switch (reqinfo->mode) {
		case MODE_GET:
			if (vb->name_length != BIGTABLE_INST_LEN ||
			    snmp_oid_compare(vb->name, BIGTABLE_ENTRY_LEN,
			    bigtable_entry, BIGTABLE_ENTRY_LEN) != 0 ||
			    vb->name[BIGTABLE_ENTRY_LEN] < 1 ||
			    vb->name[BIGTABLE_ENTRY_LEN] > BIGTABLE_COLS ||
			    vb->name[BIGTABLE_ENTRY_LEN + 1] < 1 ||
			    vb->name[BIGTABLE_ENTRY_LEN + 1] > BIGTABLE_ROWS) {
				netsnmp_set_request_error(reqinfo, req,
				    SNMP_NOSUCHINSTANCE);
				break;
			}
			bigtable_value(vb, vb->name[BIGTABLE_ENTRY_LEN],
			    vb->name[BIGTABLE_ENTRY_LEN + 1]);
			break;
		case MODE_GETNEXT:
			/* no successor here: leave vb alone, the agent
			 * moves on to the next registered subtree */
			if (!bigtable_next(vb->name, vb->name_length, &col,
			    &row))
				break;
			memcpy(inst, bigtable_entry, sizeof(bigtable_entry));
			inst[BIGTABLE_ENTRY_LEN] = col;
			inst[BIGTABLE_ENTRY_LEN + 1] = row;
			snmp_set_var_objid(vb, inst, BIGTABLE_INST_LEN);
			bigtable_value(vb, col, row);
			break;
		default:
			netsnmp_set_request_error(reqinfo, req,
			    SNMP_ERR_NOTWRITABLE);
			break;
		}
	}
	return SNMP_ERR_NOERROR;
}

void
init_bigtable(void)
{
	bigtable_reg = netsnmp_create_handler_registration("bigtable",
	    bigtable_handler_cb, bigtable_base, OID_LENGTH(bigtable_base),
	    HANDLER_CAN_RONLY);
	if (bigtable_reg == NULL ||
	    netsnmp_register_handler(bigtable_reg) != MIB_REGISTERED_OK) {
		snmp_log(LOG_ERR, "bigtable: cannot register\n");
		bigtable_reg = NULL;
	}
}

void
deinit_bigtable(void)
{
	if (bigtable_reg != NULL)
		netsnmp_unregister_handler(bigtable_reg);
	bigtable_reg = NULL;
}
