/*
 * jail.h - what the files of the jail share: jail.c (contexts, slots,
 * jobs), root.c (slot roots, namespaces), child.c (init and the program)
 * and stage.c (the supervisor of a stage).  Not installed, not stable; the
 * public interface is sandbox.h.
 */
#ifndef RUNPAD_SANDBOX_JAIL_H
#define RUNPAD_SANDBOX_JAIL_H

#include <linux/filter.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "internal.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* The uid a program runs as in rootless mode (mapped to our own). */
#define SBX_ROOTLESS_UID 1000

/*
 * The program's status as init saw it, in a page shared with the
 * supervisor (MAP_SHARED, made and touched by the supervisor, so writing
 * it allocates nothing).  A report through the pipe needs a pipe buffer
 * charged to the stage's memory cgroup, which a program that filled the
 * cgroup with tmpfs pages leaves no room for; the page always has room.
 */
struct stage_status {
	int done; /* set last, with release order */
	int status;
	int fsize_evidence;
};

/* The generated /proc files (view.c), made once per context. */
#define SBX_VIEW_N 4
extern const char *const sbx_view_names[SBX_VIEW_N]; /* cpuinfo stat
                                                         uptime loadavg */
struct sbx_view {
	char *text[SBX_VIEW_N]; /* owned */
	char *meminfo_host;     /* the host's /proc/meminfo: its keys */
	int ncpu;               /* CPUs of the affinity mask */
};

struct slot {
	char meminfo[200];      /* this slot's /proc/meminfo, in the run dir */
	uint64_t meminfo_limit; /* the limit it describes (0: not written) */
	unsigned index;
	uid_t uid;
	gid_t gid;
	int netfd;      /* the slot's network namespace */
	char root[192]; /* the slot's template root, in the run dir */
	bool root_ready;
	char box[256]; /* mount point of the box, in the run dir */
	int box_lock;  /* fd locked in rlimits-only mode */
	struct stage_status *status; /* shared with the stage's init */
	bool busy;                   /* taken by a thread of this process */
	struct sbx_cgroup cg;
};

struct sbx_ctx {
	bool rootless;
	bool allow_rlimits;
	enum sbx_cgroup_mode cgmode;
	struct sbx_cgroup_root cgroot;
	unsigned nslots;
	struct slot *slots;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct sock_fprog seccomp;
	struct sock_fprog seccomp_exit; /* exit_group notifies (len 0: none) */
	void *status_pages; /* MAP_SHARED, one stage_status per slot */
	size_t status_len;
	char rundir[128];
	bool rundir_own;       /* ours to unmount (not a template's) */
	char template_dir[80]; /* sbx_config.template_dir; "" when unused */
	char mask[160]; /* read-only tmpfs: "file" (empty) and "dir" (empty) */
	const char *const *binds;
	char **binds_own;      /* a copy of the config's list, or NULL */
	char root_shared[160]; /* why a path of some slot's root is the host's
				  own inode (a bind: overlayfs refused, or a
				  file too large to copy); "" when none is */
	struct sbx_view view;
	int mask_dir_fd; /* O_PATH of mask/dir, the overlays' empty layer */
	char path_env[512];
	char lang_env[64];
	long ncpu;
	int last_cap; /* the highest capability this kernel knows */
};

enum report_kind { REP_STATUS = 1, REP_SETUP = 2, REP_EXEC = 3 };

struct report {
	int kind;
	int value;          /* wait status, or errno */
	int fsize_evidence; /* REP_STATUS: a file reached the file_size cap */
	char what[116];
};

/* Everything a stage's children need, prepared before the clone. */
struct stage_plan {
	const struct sbx_ctx *ctx;
	const struct slot *slot;
	char *const *argv;
	char *const *envp;
	const struct sbx_limits *lim;
	bool rlimits_only;
	bool self_attach; /* v1: init moves itself into the slot's cgroup */
	int go_rd;
	int rep_wr;
	struct stage_status *shared;
	int in_rd, out_wr, err_wr;
	int exit_sock; /* where the program sends its seccomp listener, or -1 */
	char proc_path[200], tmp_path[200], box_path[200];
	char tmp_opts[96];
};

/* ------------------------------------------------------- jail.c: util */
void sbx_seterr(char *err, size_t errlen, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Write data to an existing file (a /proc or cgroup file); 0 or -errno.
   System calls only: the children use it. */
int sbx_write_file(const char *path, const char *data);
int sbx_create_file(const char *path, const char *data, mode_t mode);

/* ----------------------------------------------------------------- root.c */
extern const char *const sbx_default_binds[];
/* Keep the list of binds (NULL: the built-in one and lang_binds): slot
   roots are built after sbx_ctx_new.  0 or -ENOMEM. */
int sbx_binds_keep(struct sbx_ctx *ctx, const char *const *binds,
                   const char *const *lang_binds);
/* The run dir's read-only "mask" (an empty file and directory). */
int sbx_mask_make(struct sbx_ctx *ctx, char *err, size_t errlen);
/* Build slot's root below the run dir; the mounts go with the run dir
   (or with umount2(slot->root, MNT_DETACH) after a failure). */
int sbx_root_build(struct sbx_ctx *ctx, struct slot *slot, char *err,
                   size_t errlen);
/* Mount the run dir's tmpfs at dir, sized for nslots slots' files. */
int sbx_rundir_mount(const char *dir, unsigned nslots, char *err,
                     size_t errlen);
/* Set slot s's box, root and meminfo paths below ctx->rundir. */
void sbx_slot_paths(struct sbx_ctx *ctx, struct slot *s);
/* A network namespace with only loopback, as an fd (the caller closes it),
   or -errno. */
int sbx_netns_make(char *err, size_t errlen);
/* Map SBX_ROOTLESS_UID inside pid's user namespace to outer uid/gid. */
int sbx_id_maps_write(pid_t pid, uid_t outer_uid, gid_t outer_gid);

/* ----------------------------------------------------------------- view.c */
/* Read the host's files and build the shared views; 0 or -errno. */
int sbx_view_prepare(struct sbx_view *v, char *err, size_t errlen);
void sbx_view_fini(struct sbx_view *v);
/* tmpfs bytes the shared views need, and writing them into dir. */
size_t sbx_view_bytes(const struct sbx_view *v);
int sbx_view_write(const struct sbx_view *v, const char *dir);
/* (Re)write slot s's meminfo for a stage limited to `limit` bytes. */
int sbx_view_slot_meminfo(const struct sbx_ctx *ctx, struct slot *s,
                          uint64_t limit);
/* The generators, exposed for the unit tests; malloc'd, NULL on ENOMEM. */
char *sbx_view_cpuinfo(const char *host, const cpu_set_t *cpus);
char *sbx_view_stat(const cpu_set_t *cpus, time_t btime);
char *sbx_view_meminfo(const char *host, uint64_t limit);

/* ------------------------------------------------------------- template.c */
/* The template key of ctx's roots: 16 hex digits and a NUL. */
void sbx_template_key(const struct sbx_ctx *ctx, char out[17]);
/* Join slot s's template namespace under ctx->template_dir, building it
   first (under the directory's lock) when there is none for the key: sets
   ctx->rundir, ctx->mask, ctx->mask_dir_fd and s's paths, netfd and
   box_lock.  0, or -errno with err set (the caller builds without). */
int sbx_template_enter(struct sbx_ctx *ctx, struct slot *s, char *err,
                       size_t errlen);

/* ---------------------------------------------------------------- child.c */
/* Become init of the stage described by p (in the child of clone_init);
   never returns. */
__attribute__((noreturn)) void sbx_init_run(const struct stage_plan *p);

/* ---------------------------------------------------------------- stage.c */
/* Run one stage in slot s (taken by the caller, box mounted).  res is
   filled in every case; returns 0, or -errno for an internal error (with
   res->message). */
int sbx_stage_run(struct sbx_ctx *ctx, struct slot *s,
                  const struct sbx_stage *st, struct sbx_stage_result *res);

#endif
