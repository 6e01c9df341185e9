<?php
/*
 * Plugin Name: wpfleet mail log
 * Description: This machine has no MTA: mail is appended to the tenant's mail log instead of sent.
 */
if (!function_exists('wp_mail')) {
    function wp_mail($to, $subject, $message, $headers = '', $attachments = array()) {
        $log = defined('WPFLEET_MAIL_LOG') ? WPFLEET_MAIL_LOG : WP_CONTENT_DIR . '/mail.log';
        $line = sprintf(
            "[%s] to=%s subject=%s\n%s\n\n",
            gmdate('c'),
            is_array($to) ? implode(',', $to) : $to,
            $subject,
            $message
        );
        return @file_put_contents($log, $line, FILE_APPEND | LOCK_EX) !== false;
    }
}
