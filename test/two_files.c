/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * two_files.c: two capture files, one after the other, in one process, as
 * when a Wireshark user opens capture A, closes it and opens capture B.
 *
 * Usage: two_files [--expect-plugin PATH] A.pcap B.pcap [PORT]
 *
 * It starts libwireshark the way tshark does (init_process_policies,
 * configuration_init, wtap_init, epan_init with plugin loading,
 * epan_load_settings, prefs_apply_all), then
 *   1. opens A (one that registers a callback on PORT, default 50123, such
 *      as basic_ipv4), dissects every frame with a visible tree and checks
 *      that the datagrams to PORT are NEWMAIL with no Decode As (the callback
 *      was learned: the test is not vacuous), and that "udp.port" PORT still
 *      has what it had before: a learned callback is a conversation on the
 *      callback's address and port, not a port-table entry;
 *   2. closes A (epan_free(), which runs the cleanup routines, as closing a
 *      file in the GUI does) and checks that "udp.port" PORT has what it
 *      had before A was opened, and no NEWMAIL handle;
 *   3. opens B (one with a datagram to PORT and no registration, such as
 *      unrelated) and checks that no frame of B is NEWMAIL, in particular
 *      not the datagram to PORT;
 *   4. opens A again and checks that it decodes as the first time (the
 *      cleanup left nothing behind that stops the port being learned again).
 * Every check prints a PASS or FAIL line; the exit status is 0 only when all
 * pass.
 *
 * Plugins: epan_init() loads the global plugin folder and, unless the
 * process started with special privileges (root, or set-uid), the personal
 * one (~/.local/lib/wireshark/plugins/<major.minor>/epan); WIRESHARK_PLUGIN_DIR
 * replaces the global folder, again only without special privileges. So the
 * freshly built plugin is loaded by running this as an unprivileged user with
 * a HOME holding it, which test/run_two_files.py does through
 * test/tshark_harness.py. --expect-plugin names the newmail.so that must be
 * the one mapped into the process (read from /proc/self/maps).
 *
 * Wireshark versions: the calls a program that reads captures makes changed
 * between 4.0, 4.4 and 4.6. test/CMakeLists.txt tries each difference on the
 * Wireshark found and defines NEWMAIL_* for the ones it has; the wrappers
 * below are the only places that look at them (no version numbers here).
 */
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include <epan/epan.h>
#include <epan/epan_dissect.h>
#include <epan/frame_data.h>
#include <epan/packet.h>
#include <epan/prefs.h>
#include <epan/proto.h>
#include <wiretap/wtap.h>
#include <wsutil/filesystem.h>
#include <wsutil/privileges.h>
#include <wsutil/report_message.h>
#include <wsutil/wslog.h>

/* ---- What differs between Wireshark releases (see test/CMakeLists.txt) ------ */

/* 4.4: two report_message_routines callbacks take bool and a 64-bit frame
 * number. */
#ifdef NEWMAIL_REPORT_ROUTINES_USE_BOOL
#include <stdbool.h>
#include <stdint.h>
typedef bool report_bool_t;
typedef uint64_t report_frame_t;
#else
typedef gboolean report_bool_t;
typedef guint32 report_frame_t;
#endif

/* 4.6: ws_log_init() takes only the error callback (the program name is
 * g_get_prgname()); configuration_init() has no namespace argument. */
static void
start_logging(void)
{
#ifdef NEWMAIL_WS_LOG_INIT_NO_PROGNAME
    g_set_prgname("two_files");
    ws_log_init(NULL);
#else
    ws_log_init("two_files", NULL);
#endif
}

static char *
start_configuration(const char *arg0)
{
#ifdef NEWMAIL_CONFIGURATION_INIT_NO_NAMESPACE
    return configuration_init(arg0);
#else
    return configuration_init(arg0, NULL);
#endif
}

/* 4.6: a wtap_rec holds the record's bytes itself (wtap_rec_init() sizes
 * that buffer, wtap_read() fills it, epan_dissect_run() takes no tvb and
 * reads them from the record). Before, the caller passed a Buffer to
 * wtap_read() and a tvb over it to epan_dissect_run(). buf is that Buffer;
 * where the record holds the bytes it is set up but stays unused. */
static void
record_init(wtap_rec *rec, Buffer *buf)
{
#ifdef NEWMAIL_WTAP_REC_INIT_TAKES_SIZE
    wtap_rec_init(rec, 1514);
#else
    wtap_rec_init(rec);
#endif
    ws_buffer_init(buf, 1514);
}

static void
record_cleanup(wtap_rec *rec, Buffer *buf)
{
    wtap_rec_cleanup(rec);
    ws_buffer_free(buf);
}

static gboolean
record_read(wtap *wth, wtap_rec *rec, Buffer *buf, int *err, gchar **err_info, gint64 *offset)
{
#ifdef NEWMAIL_WTAP_READ_INTO_REC
    (void)buf;
    return wtap_read(wth, rec, err, err_info, offset);
#else
    return wtap_read(wth, rec, buf, err, err_info, offset);
#endif
}

static void
record_dissect(epan_dissect_t *edt, int file_type_subtype, wtap_rec *rec, Buffer *buf,
               frame_data *fdata)
{
#ifdef NEWMAIL_EPAN_DISSECT_RUN_WITHOUT_TVB
    (void)buf;
    epan_dissect_run(edt, file_type_subtype, rec, fdata, NULL);
#else
#ifdef NEWMAIL_WTAP_READ_INTO_REC
    const guint8 *bytes = ws_buffer_start_ptr(&rec->data);
    (void)buf;
#else
    const guint8 *bytes = ws_buffer_start_ptr(buf);
#endif
    tvbuff_t *tvb = tvb_new_real_data(bytes, fdata->cap_len, fdata->pkt_len);

    /* epan_dissect_reset() frees the tvb. */
    epan_dissect_run(edt, file_type_subtype, rec, tvb, fdata, NULL);
#endif
}

static int failures;

static void
check(gboolean ok, const char *format, ...) G_GNUC_PRINTF(2, 3);

static void
check(gboolean ok, const char *format, ...)
{
    va_list ap;

    printf("%s: ", ok ? "PASS" : "FAIL");
    va_start(ap, format);
    vprintf(format, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    if (!ok)
        failures++;
}

/* ---- report_message routines, as tshark has its own ---------------------- */

static void
vfailure(const char *format, va_list ap)
{
    fprintf(stderr, "two_files: ");
    vfprintf(stderr, format, ap);
    fprintf(stderr, "\n");
}

static void
open_failure(const char *name, int err, report_bool_t for_writing)
{
    fprintf(stderr, "two_files: cannot open %s%s: %s\n", name, for_writing ? " for writing" : "",
            g_strerror(err));
}

static void
read_failure(const char *name, int err)
{
    fprintf(stderr, "two_files: cannot read %s: %s\n", name, g_strerror(err));
}

static void
write_failure(const char *name, int err)
{
    fprintf(stderr, "two_files: cannot write %s: %s\n", name, g_strerror(err));
}

static void
cfile_open_failure(const char *name, int err, gchar *err_info)
{
    fprintf(stderr, "two_files: cannot open capture %s: error %d %s\n", name, err,
            err_info ? err_info : "");
    g_free(err_info);
}

static void
cfile_dump_open_failure(const char *name, int err, gchar *err_info, int type _U_)
{
    cfile_open_failure(name, err, err_info);
}

static void
cfile_read_failure(const char *name, int err, gchar *err_info)
{
    fprintf(stderr, "two_files: cannot read capture %s: error %d %s\n", name ? name : "", err,
            err_info ? err_info : "");
    g_free(err_info);
}

static void
cfile_write_failure(const char *in _U_, const char *out, int err, gchar *err_info,
                    report_frame_t frame _U_, int type _U_)
{
    cfile_read_failure(out, err, err_info);
}

static void
cfile_close_failure(const char *name, int err, gchar *err_info)
{
    cfile_read_failure(name, err, err_info);
}

#ifdef NEWMAIL_REPORT_ROUTINES_HAVE_RENAME
/* 4.6 added a callback for rename() failures. */
static void
rename_failure(const char *from, const char *to, int err)
{
    fprintf(stderr, "two_files: cannot rename %s to %s: %s\n", from, to, g_strerror(err));
}
#endif

/* Designated initializers: the members' order and number change between
 * releases. */
static const struct report_message_routines report_routines = {
    .vreport_failure = vfailure,
    .vreport_warning = vfailure,
    .report_open_failure = open_failure,
    .report_read_failure = read_failure,
    .report_write_failure = write_failure,
#ifdef NEWMAIL_REPORT_ROUTINES_HAVE_RENAME
    .report_rename_failure = rename_failure,
#endif
    .report_cfile_open_failure = cfile_open_failure,
    .report_cfile_dump_open_failure = cfile_dump_open_failure,
    .report_cfile_read_failure = cfile_read_failure,
    .report_cfile_write_failure = cfile_write_failure,
    .report_cfile_close_failure = cfile_close_failure,
};

/* ---- The plugin --------------------------------------------------------------- */

/* The newmail.so files mapped into this process, one per line. */
static GString *
mapped_plugins(void)
{
    GString *found = g_string_new(NULL);
    gchar *maps = NULL;
    gchar **lines;

    if (!g_file_get_contents("/proc/self/maps", &maps, NULL, NULL))
        return found;
    lines = g_strsplit(maps, "\n", -1);
    for (gchar **line = lines; *line != NULL; line++) {
        const char *path = strchr(*line, '/');

        if (path != NULL && g_str_has_suffix(path, "/newmail.so") &&
            strstr(found->str, path) == NULL)
            g_string_append_printf(found, "%s\n", path);
    }
    g_strfreev(lines);
    g_free(maps);
    return found;
}

/* ---- One capture file ----------------------------------------------------------- */

typedef struct {
    guint frames;
    guint newmail_frames;      /* frames with a NEWMAIL tree item */
    guint port_datagrams;      /* UDP datagrams to the port */
    guint port_newmail;        /* of those, NEWMAIL */
} file_result_t;

static int proto_newmail = -1;

/* What tshark's capture_file provider gives epan, reduced to what the frame
 * dissector asks for: the time stamps of earlier frames (reference and
 * previous frame, for the time deltas). */
struct packet_provider_data {
    GArray *timestamps; /* nstime_t of frame n at index n - 1 */
};

static const nstime_t *
provider_get_frame_ts(struct packet_provider_data *provider, guint32 frame_num)
{
    if (frame_num == 0 || frame_num > provider->timestamps->len)
        return NULL;
    return &g_array_index(provider->timestamps, nstime_t, frame_num - 1);
}

static gboolean
frame_has(proto_tree *tree, int id)
{
    GPtrArray *found = proto_find_first_finfo(tree, id);
    gboolean has = found != NULL && found->len > 0;

    if (found != NULL)
        g_ptr_array_free(found, TRUE);
    return has;
}

/* Opens the file in a new epan session and dissects it in one pass, as
 * tshark does; the session stays open (the file is "open in the GUI")
 * until close_session(). */
static gboolean
read_capture(const char *path, guint32 port, struct packet_provider_data *provider,
             epan_t **session_out, file_result_t *result)
{
    /* Only the member used here: the others differ between releases. */
    static const struct packet_provider_funcs provider_funcs = {
        .get_frame_ts = provider_get_frame_ts,
    };
    wtap *wth;
    wtap_rec rec;
    Buffer buf;
    int err = 0;
    gchar *err_info = NULL;
    gint64 data_offset;
    epan_t *session;
    epan_dissect_t *edt;
    frame_data fdata, prev_dis_frame, ref_frame;
    const frame_data *ref = NULL, *prev_dis = NULL;
    nstime_t elapsed_time;
    guint32 cum_bytes = 0;

    memset(result, 0, sizeof(*result));
    wth = wtap_open_offline(path, WTAP_TYPE_AUTO, &err, &err_info, FALSE);
    if (wth == NULL) {
        cfile_open_failure(path, err, err_info);
        return FALSE;
    }
    g_array_set_size(provider->timestamps, 0);
    session = epan_new(provider, &provider_funcs);
    edt = epan_dissect_new(session, TRUE, TRUE);
    nstime_set_zero(&elapsed_time);
    record_init(&rec, &buf);
    while (record_read(wth, &rec, &buf, &err, &err_info, &data_offset)) {
        result->frames++;
        frame_data_init(&fdata, result->frames, &rec, data_offset, cum_bytes);
        g_array_append_val(provider->timestamps, fdata.abs_ts);
        frame_data_set_before_dissect(&fdata, &elapsed_time, &ref, prev_dis);
        if (ref == &fdata) {
            ref_frame = fdata;
            ref = &ref_frame;
        }
        record_dissect(edt, wtap_file_type_subtype(wth), &rec, &buf, &fdata);
        frame_data_set_after_dissect(&fdata, &cum_bytes);
        prev_dis_frame = fdata;
        prev_dis = &prev_dis_frame;

        if (frame_has(edt->tree, proto_newmail))
            result->newmail_frames++;
        if (edt->pi.ptype == PT_UDP && edt->pi.destport == port) {
            result->port_datagrams++;
            if (frame_has(edt->tree, proto_newmail))
                result->port_newmail++;
        }
        epan_dissect_reset(edt);
        frame_data_destroy(&fdata);
        wtap_rec_reset(&rec);
    }
    if (err != 0)
        cfile_read_failure(path, err, err_info);
    record_cleanup(&rec, &buf);
    epan_dissect_free(edt);
    wtap_close(wth);
    *session_out = session;
    return err == 0;
}

/* Closing the file: what cf_close() does to the dissection state. */
static void
close_session(epan_t *session)
{
    epan_free(session); /* runs cleanup_dissection(): every cleanup routine */
}

static const char *
handle_name(dissector_handle_t handle)
{
    const char *name;

    if (handle == NULL)
        return "no dissector";
    name = dissector_handle_get_protocol_short_name(handle);
    return name != NULL ? name : "an unnamed dissector";
}

static gboolean
is_newmail(dissector_handle_t handle)
{
    return handle != NULL && dissector_handle_get_protocol_index(handle) == proto_newmail;
}

int
main(int argc, char *argv[])
{
    const char *expect_plugin = NULL;
    const char *file_a, *file_b;
    guint32 port = 50123;
    char *error;
    e_prefs *prefs_p _U_;
    dissector_table_t udp_port;
    dissector_handle_t before_a, after_a, after_close;
    epan_t *session;
    file_result_t a, b, a_again;
    struct packet_provider_data provider;
    GString *plugins;
    int arg = 1;

    if (argc > 2 && strcmp(argv[1], "--expect-plugin") == 0) {
        expect_plugin = argv[2];
        arg = 3;
    }
    if (argc - arg < 2 || argc - arg > 3) {
        fprintf(stderr, "usage: %s [--expect-plugin PATH] A.pcap B.pcap [PORT]\n", argv[0]);
        return 2;
    }
    file_a = argv[arg];
    file_b = argv[arg + 1];
    if (argc - arg == 3)
        port = (guint32)strtoul(argv[arg + 2], NULL, 10);

    /* As tshark's main() does, in this order. */
    setlocale(LC_ALL, "");
    start_logging();
    init_process_policies();
    relinquish_special_privs_perm();
    error = start_configuration(argv[0]);
    if (error != NULL) {
        fprintf(stderr, "two_files: can't get pathname of directory containing the program: %s\n",
                error);
        g_free(error);
    }
    init_report_message("two_files", &report_routines);
    wtap_init(TRUE);
    if (!epan_init(NULL, NULL, TRUE)) {
        fprintf(stderr, "two_files: epan_init failed\n");
        return 2;
    }
    prefs_p = epan_load_settings();
    prefs_apply_all();

    /* The plugin must be loaded, and be the expected file. */
    plugins = mapped_plugins();
    printf("plugin folders: global %s, personal %s%s\n", get_plugins_dir_with_version(),
           get_plugins_pers_dir_with_version(),
           started_with_special_privs() ? " (not read: special privileges)" : "");
    printf("newmail.so mapped: %s", plugins->len ? plugins->str : "none\n");
    if (expect_plugin != NULL) {
        gchar *line = g_strdup_printf("%s\n", expect_plugin);

        check(strcmp(plugins->str, line) == 0, "the plugin loaded is %s, and only it",
              expect_plugin);
        g_free(line);
    } else {
        check(plugins->len > 0, "a newmail.so plugin is loaded");
    }
    g_string_free(plugins, TRUE);
    proto_newmail = proto_get_id_by_filter_name("newmail");
    check(proto_newmail != -1 && proto_registrar_get_byname("newmail.callback.port") != NULL,
          "protocol newmail and the plugin's field newmail.callback.port are registered");
    if (failures) {
        printf("two_files: FAIL (plugin not loaded; nothing else checked)\n");
        return 1;
    }

    provider.timestamps = g_array_new(FALSE, TRUE, sizeof(nstime_t));
    udp_port = find_dissector_table("udp.port");
    before_a = dissector_get_uint_handle(udp_port, port);
    printf("udp.port %u before any file: %s\n", port, handle_name(before_a));
    check(!is_newmail(before_a), "before any file, udp.port %u is not NEWMAIL", port);

    /* 1. Capture A */
    if (!read_capture(file_a, port, &provider, &session, &a))
        check(FALSE, "read %s", file_a);
    after_a = dissector_get_uint_handle(udp_port, port);
    printf("A = %s: %u frames, %u NEWMAIL, %u datagrams to port %u (%u NEWMAIL); "
           "udp.port %u now: %s\n", file_a, a.frames, a.newmail_frames, a.port_datagrams, port,
           a.port_newmail, port, handle_name(after_a));
    check(a.newmail_frames > 0 && a.port_newmail > 0,
          "A has NEWMAIL notifications to port %u (%u)", port, a.port_newmail);
    check(after_a == before_a,
          "while A is open, udp.port %u still has what it had before A (%s): learning left "
          "the port table alone", port, handle_name(before_a));

    /* 2. Close A */
    close_session(session);
    after_close = dissector_get_uint_handle(udp_port, port);
    printf("udp.port %u after closing A: %s\n", port, handle_name(after_close));
    check(!is_newmail(after_close), "after closing A, udp.port %u has no NEWMAIL handle", port);
    check(after_close == before_a, "after closing A, udp.port %u has what it had before A (%s)",
          port, handle_name(before_a));

    /* 3. Capture B */
    if (!read_capture(file_b, port, &provider, &session, &b))
        check(FALSE, "read %s", file_b);
    printf("B = %s: %u frames, %u NEWMAIL, %u datagrams to port %u (%u NEWMAIL)\n", file_b,
           b.frames, b.newmail_frames, b.port_datagrams, port, b.port_newmail);
    check(b.port_datagrams > 0, "B has a datagram to port %u (%u)", port, b.port_datagrams);
    check(b.port_newmail == 0, "no datagram to port %u in B is NEWMAIL", port);
    check(b.newmail_frames == 0, "no frame of B is NEWMAIL");
    check(!is_newmail(dissector_get_uint_handle(udp_port, port)),
          "while B is open, udp.port %u has no NEWMAIL handle", port);
    close_session(session);

    /* 4. Capture A again: learned afresh, decoded as the first time */
    if (!read_capture(file_a, port, &provider, &session, &a_again))
        check(FALSE, "read %s", file_a);
    check(a_again.newmail_frames == a.newmail_frames && a_again.port_newmail == a.port_newmail,
          "A opened again decodes as the first time (%u NEWMAIL frames)",
          a_again.newmail_frames);
    check(dissector_get_uint_handle(udp_port, port) == before_a,
          "while A is open again, udp.port %u still has what it had before A", port);
    close_session(session);
    check(dissector_get_uint_handle(udp_port, port) == before_a,
          "after closing A again, udp.port %u is restored again", port);

    g_array_free(provider.timestamps, TRUE);
    epan_cleanup();
    wtap_cleanup();
    printf("two_files: %s (%d failed)\n", failures ? "FAIL" : "PASS", failures);
    return failures ? 1 : 0;
}
