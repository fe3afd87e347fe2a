/*
 * fuzz_kubeconfig.c - libFuzzer target: kubeconfig text through
 * kubecfg_parse. A failure must explain itself; a success must describe a
 * usable server. Token files are not read (that would be file I/O).
 */
#include "compat.h"

#include <errno.h>
#include <stdint.h>

#include "kubecfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf err = BUF_INIT(4096);
	struct kube_config *cfg = NULL;
	struct kubecfg_tls tls;
	int r = kubecfg_parse((const char *)data, size, "/nonexistent", &cfg, &err);

	if (r == 0) {
		const char *s = kubecfg_server(cfg);

		if (!s || (strncmp(s, "https://", 8) && strncmp(s, "http://", 7)))
			abort();
		kubecfg_tls(cfg, &tls);
		if ((tls.ca_data && tls.ca_file) || (tls.key_data && tls.key_file))
			abort();
		(void)kubecfg_namespace(cfg);
		kubecfg_free(cfg);
	} else if (r != -ENOMEM && (!err.data || !err.len)) {
		abort();
	}
	buf_free(&err);
	return 0;
}
