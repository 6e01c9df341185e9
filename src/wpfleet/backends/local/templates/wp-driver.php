<?php
/*
 * wpfleet's php-cli driver: installs WordPress without a browser.
 * Input: one JSON object on STDIN (it carries the admin password, which never goes in
 * argv). Output: one JSON object on STDOUT. The tenant's configuration path comes from
 * the environment variable WPFLEET_TENANT_CONFIG, read by the core's dispatcher.
 */
$input = json_decode(stream_get_contents(STDIN), true);
if (!is_array($input)) {
    fwrite(STDERR, "wpfleet driver: expected a JSON object on stdin\n");
    exit(2);
}
$_SERVER['HTTP_HOST'] = $input['http_host'];
$_SERVER['SERVER_NAME'] = $input['host'];
$_SERVER['SERVER_PORT'] = (string) $input['port'];
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['REQUEST_METHOD'] = 'GET';
define('WP_INSTALLING', true);
require $input['core'] . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';

// No loopback HTTP during the install: PHP cannot resolve *.localhost and would hang.
add_filter('pre_http_request', function () {
    return new WP_Error('wpfleet_offline', 'no HTTP requests during a wpfleet install');
});

$installed_now = false;
if (!is_blog_installed()) {
    wp_install($input['title'], $input['admin_user'], $input['admin_email'],
        (int) $input['blog_public'], '', $input['admin_password']);
    $installed_now = true;
}
// Converge a half-made install (a run killed between the options and the user).
$user_id = username_exists($input['admin_user']);
if (!$user_id) {
    $user_id = wp_create_user($input['admin_user'], $input['admin_password'], $input['admin_email']);
    if (is_wp_error($user_id)) {
        fwrite(STDERR, 'wpfleet driver: ' . $user_id->get_error_message() . "\n");
        exit(3);
    }
    (new WP_User($user_id))->set_role('administrator');
}
if (get_option('permalink_structure') === '') {
    global $wp_rewrite;
    $wp_rewrite->set_permalink_structure('/%postname%/');
    $wp_rewrite->flush_rules(false);
}
foreach ($input['options'] as $name => $value) {
    update_option($name, $value);
}
// A site whose active theme is missing is a blank page with status 200. Keep a working
// theme of the site's own choosing; otherwise activate WordPress's default theme, or
// failing that any installed one.
$theme = wp_get_theme();
if (!$theme->exists() || $theme->errors()) {
    $choice = wp_get_theme(WP_DEFAULT_THEME);
    if (!$choice->exists() || $choice->errors()) {
        $usable = wp_get_themes(array('errors' => false));
        $choice = $usable ? reset($usable) : null;
    }
    if (!$choice) {
        fwrite(STDERR, "wpfleet driver: no usable theme in " . get_theme_root()
            . " (apt-get install wordpress-theme-twentytwentythree)\n");
        exit(4);
    }
    switch_theme($choice->get_stylesheet());
}
echo json_encode(array('installed_now' => $installed_now, 'admin_user_id' => (int) $user_id,
    'theme' => get_stylesheet())), "\n";
