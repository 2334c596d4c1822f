{-# LANGUAGE ExistentialQuantification #-}
{-# LANGUAGE FlexibleContexts #-}
{-# LANGUAGE OverloadedStrings #-}
{-# LANGUAGE ScopedTypeVariables #-}

-- | Structured exceptions (ABI.md sections 6 and 7.1): the exception record, the reply envelope,
-- the conversion of any Haskell 'SomeException' into a record, and the ways guest code raises
-- named exceptions, adds context and gives its own exception types attributes.
--
-- How a 'SomeException' becomes a record:
--
-- * @name@ is a standard name of ABI.md section 7.1 for the standard exceptions
--   ('IOException' by its 'IOErrorType' and errno, 'ArithException' by its constructor),
--   'exceptionName' for an 'Attributed' type, the name given to 'raise', the cause's name for a
--   'withContext' level, and otherwise the exception's type from 'Typeable' (@ErrorCall@,
--   @QuotaError@);
-- * @message@ is 'displayException' (for 'ErrorCall' the message without its location, for
--   'userError' its text, for 'withContext' the context's text);
-- * @traceback@ comes from the 'CallStack' of 'raise' / 'raiseFrom' / 'withContext' /
--   'throwCaused', or from the location that @error@ attaches to an 'ErrorCall'; oldest call
--   first; frames of the kit's own @Virgil.*@ modules never appear;
-- * @cause@ comes from 'raiseFrom', 'withContext', 'throwCaused' and 'wrapException', and a
--   record that crossed from another language keeps its own chain;
-- * @attributes@ are @errno@ and @filename@ for an 'IOException', and 'exceptionAttributes' for
--   an 'Attributed' type.
module Virgil.Exception
  ( -- * Records
    Frame (..)
  , ExceptionRecord (..)
  , Envelope (..)
  , exceptionRecord
  , language
  , maxChain
  , maxTraceback
  , maxAttributes
  , lookupAttribute
    -- * Text
  , levelText
  , chainText
  , renderException
    -- * Raising
  , VirgilException (..)
  , raise
  , raiseFrom
  , virgilError
  , Context (..)
  , withContext
  , Caused (..)
  , throwCaused
  , wrapException
  , Annotated (..)
  , annotate
    -- * Attributes of your own exception types
  , Attributed (..)
  , SomeAttributed (..)
  , attributedToException
  , attributedFromException
  , recordAttributes
    -- * Standard names (ABI.md section 7.1)
  , errnoName
  , ioExceptionName
  , arithExceptionName
  , foreignException
    -- * Converting
  , toExceptionRecord
  , withUserFrame
  , isGlueFrame
  , callStackFrames
  , parseCallStackText
  , limitRecord
  , exceptionTypeName
  , AllocationFailed (..)
    -- * Framework names (ABI.md section 7)
  , module Virgil.Exception.Names
  ) where

import Control.Exception
import qualified Data.ByteString as BS
import Data.List (foldl', sortOn)
import Data.Maybe (fromMaybe)
import Data.Text (Text)
import qualified Data.Text as T
import qualified Data.Text.Encoding as TE
import Data.Typeable (cast, typeOf)
import Foreign.C.Error (Errno (..), errnoToIOError)
import Foreign.C.Types (CInt)
import GHC.Generics (Generic, Rep)
import GHC.IO.Exception (IOErrorType (..), IOException (..))
import GHC.Stack (CallStack, HasCallStack, SrcLoc (..), callStack, getCallStack)
import Virgil.Exception.Names
import Virgil.Msgpack

-- | The language of this kit's records.
language :: Text
language = "haskell"

-- | The most records in a chain (the outermost counts as one).
maxChain :: Int
maxChain = 256

-- | The most frames in one traceback.
maxTraceback :: Int
maxTraceback = 4096

-- | The most attributes of one record.
maxAttributes :: Int
maxAttributes = 256

-- | One traceback frame; 'frameLine' and 'frameColumn' are 0 and 'frameFile' empty when unknown.
data Frame = Frame
  { frameFunction :: !Text
  , frameFile :: !Text
  , frameLine :: !Int
  , frameColumn :: !Int
  }
  deriving (Eq, Show)

-- | An exception record: this level's name and message, its frames (oldest call first), its
-- cause, notes and attributes (in canonical order: ascending by the keys' UTF-8 bytes).
--
-- 'show' is the level's text ('levelText'); 'displayException' the whole story
-- ('renderException').
data ExceptionRecord = ExceptionRecord
  { excName :: !Text
  , excMessage :: !Text
  , excLanguage :: !Text
  , excTraceback :: [Frame]
  , excCause :: Maybe ExceptionRecord
  , excNotes :: [Text]
  , excAttributes :: [(Text, Value)]
  }
  deriving (Eq)

instance Show ExceptionRecord where
  show = T.unpack . levelText

-- | A record can be thrown, so that an exception that crossed from elsewhere can be rethrown as
-- it is.
instance Exception ExceptionRecord where
  displayException = T.unpack . renderException

-- | A record of this language with no frames, cause, notes or attributes.
exceptionRecord :: Text -> Text -> ExceptionRecord
exceptionRecord name msg = ExceptionRecord name msg language [] Nothing [] []

-- | An attribute of the record's level, its key matched exactly, else folded (ASCII lowercase,
-- @_@ and @-@ removed), as struct keys are.
lookupAttribute :: Text -> ExceptionRecord -> Maybe Value
lookupAttribute k r = case lookup k attrs of
  Just v -> Just v
  Nothing -> lookup (foldName k) [(foldName k', v) | (k', v) <- attrs]
  where
    attrs = excAttributes r

-- | Attributes in canonical order: ascending by the keys' UTF-8 bytes (a stable sort, so equal
-- keys keep their order).
sortAttributes :: [(Text, Value)] -> [(Text, Value)]
sortAttributes = sortOn (TE.encodeUtf8 . fst)

instance ToMsgpack Frame where
  toMsgpack (Frame fn file line col) =
    Map
      [ (Str "function", Str fn)
      , (Str "file", Str file)
      , (Str "line", Int (toInteger line))
      , (Str "column", Int (toInteger col))
      ]

instance FromMsgpack Frame where
  fromMsgpack (Map kvs) =
    Frame
      <$> optionalKey "function" T.empty kvs
      <*> optionalKey "file" T.empty kvs
      <*> optionalKey "line" 0 kvs
      <*> optionalKey "column" 0 kvs
  fromMsgpack v = typeMismatch "a frame map" v

-- | Canonical key order: name, message, language, traceback, cause, notes and attributes (the
-- last two only when non-empty; attribute keys ascending by their UTF-8 bytes).
instance ToMsgpack ExceptionRecord where
  toMsgpack r =
    Map
      ( [ (Str "name", Str (excName r))
        , (Str "message", Str (excMessage r))
        , (Str "language", Str (excLanguage r))
        , (Str "traceback", Array (map toMsgpack (excTraceback r)))
        , (Str "cause", maybe Nil toMsgpack (excCause r))
        ]
          ++ [(Str "notes", Array (map Str (excNotes r))) | not (null (excNotes r))]
          ++ [ (Str "attributes", Map [(Str k, v) | (k, v) <- sortAttributes (excAttributes r)])
             | not (null (excAttributes r))
             ]
      )

-- | Reads a record, ignoring unknown keys at every level and taking missing or nil keys as
-- empty (only @name@ is required); an @attributes@ value that is not a map is ignored, as are
-- its entries whose keys are not strings. Rejects chains longer than 'maxChain' records,
-- tracebacks longer than 'maxTraceback' frames and more than 'maxAttributes' attributes.
instance FromMsgpack ExceptionRecord where
  fromMsgpack = recordAt 1

recordAt :: Int -> Value -> Either FromError ExceptionRecord
recordAt level (Map kvs)
  | level > maxChain =
      Left (FromError [] ("cause chain longer than " <> T.pack (show maxChain) <> " records"))
  | otherwise = do
      name <- case lookupKey "name" kvs of
        Just (Str s) -> Right s
        Just v -> inside ".name" (typeMismatch "str" v)
        Nothing -> Left (FromError [] "exception record without a name")
      message <- optionalKey "message" T.empty kvs
      lang <- optionalKey "language" T.empty kvs
      frames <- case lookupKey "traceback" kvs of
        Just (Array xs)
          | length xs > maxTraceback ->
              Left (FromError [".traceback"] ("longer than " <> T.pack (show maxTraceback) <> " frames"))
        _ -> optionalKey "traceback" [] kvs
      cause <- case lookupKey "cause" kvs of
        Nothing -> Right Nothing
        Just Nil -> Right Nothing
        Just v -> Just <$> inside ".cause" (recordAt (level + 1) v)
      notes <- optionalKey "notes" [] kvs
      attrs <- case lookupKey "attributes" kvs of
        Just (Map as)
          | length as > maxAttributes ->
              Left (FromError [".attributes"] ("more than " <> T.pack (show maxAttributes) <> " attributes"))
          | otherwise -> Right (sortAttributes [(k, v) | (Str k, v) <- as])
        _ -> Right []
      pure (ExceptionRecord name message lang frames cause notes attrs)
recordAt _ v = typeMismatch "an exception record map" v

lookupKey :: Text -> [(Value, Value)] -> Maybe Value
lookupKey k = lookup (Str k)

-- | A key that may be missing or nil.
optionalKey :: FromMsgpack a => Text -> a -> [(Value, Value)] -> Either FromError a
optionalKey k def kvs = case lookupKey k kvs of
  Nothing -> Right def
  Just Nil -> Right def
  Just v -> inside ("." <> k) (fromMsgpack v)

-- | A reply envelope: @{"ok": value}@ or @{"error": exception}@.
data Envelope = Ok Value | Failure ExceptionRecord
  deriving (Eq, Show)

instance ToMsgpack Envelope where
  toMsgpack (Ok v) = Map [(Str "ok", v)]
  toMsgpack (Failure r) = Map [(Str "error", toMsgpack r)]

instance FromMsgpack Envelope where
  fromMsgpack (Map [(Str "ok", v)]) = Right (Ok v)
  fromMsgpack (Map [(Str "error", r)]) = Failure <$> inside ".error" (fromMsgpack r)
  fromMsgpack v = typeMismatch "a reply envelope" v

------------------------------------------------------------------------------------------------
-- Text (ABI.md section 6, "Text")

-- | The text of one level: its message, or its name when the message is empty.
levelText :: ExceptionRecord -> Text
levelText r = if T.null (excMessage r) then excName r else excMessage r

-- | The text of a chain: the messages of its levels, outermost first, joined by @": "@,
-- skipping empty ones (the outermost name when every message is empty):
-- @load config: /etc/app.toml: openBinaryFile: does not exist (No such file or directory)@.
chainText :: ExceptionRecord -> Text
chainText r = case filter (not . T.null) (map excMessage (chainOf r)) of
  [] -> excName r
  ms -> T.intercalate ": " ms

chainOf :: ExceptionRecord -> [ExceptionRecord]
chainOf r = r : maybe [] chainOf (excCause r)

-- | The whole story, outermost level first: each level's name, message and language, its
-- attributes, notes and frames (oldest call first, as Python prints them), then
-- @caused by:@ and the next level.
--
-- > FileNotFoundError: load config [haskell]
-- >   File "examples/haskell-guest/Conformance.hs", line 160, column 15, in Conformance.load_config
-- > caused by: FileNotFoundError: /x: openBinaryFile: does not exist (No such file or directory) [haskell]
-- >   errno = 2
-- >   filename = "/x"
renderException :: ExceptionRecord -> Text
renderException = T.intercalate "\n" . concat . zipWith level [0 :: Int ..] . chainOf
  where
    level i r =
      ( (if i == 0 then "" else "caused by: ") <> excName r
          <> (if T.null (excMessage r) then "" else ": " <> excMessage r)
          <> (if T.null (excLanguage r) then "" else " [" <> excLanguage r <> "]")
      )
        : ["  " <> k <> " = " <> renderValue v | (k, v) <- excAttributes r]
        ++ ["  note: " <> n | n <- excNotes r]
        ++ map frameLine' (excTraceback r)
    frameLine' (Frame fn file line col) =
      "  File " <> T.pack (show (T.unpack file)) <> ", line " <> T.pack (show line)
        <> (if col > 0 then ", column " <> T.pack (show col) else "")
        <> ", in " <> fn

-- | A value as a reader would write it: numbers and strings plainly, containers in brackets.
renderValue :: Value -> Text
renderValue v = case v of
  Nil -> "nil"
  Bool b -> if b then "true" else "false"
  Int n -> T.pack (show n)
  Float d -> T.pack (show d)
  Float32 f -> T.pack (show f)
  Str s -> T.pack (show (T.unpack s))
  Bin b -> "<" <> T.pack (show (BS.length b)) <> " bytes>"
  Array xs -> "[" <> T.intercalate ", " (map renderValue xs) <> "]"
  Map kvs -> "{" <> T.intercalate ", " [renderValue k <> ": " <> renderValue x | (k, x) <- kvs] <> "}"
  Time s ns -> "time(" <> T.pack (show s) <> "s " <> T.pack (show ns) <> "ns)"
  Ext t b -> "ext(" <> T.pack (show t) <> ", " <> T.pack (show (BS.length b)) <> " bytes)"

------------------------------------------------------------------------------------------------
-- Raising

-- | An exception with a name of the guest's choosing (@ValueError@, @OverflowError@), a message,
-- an optional cause, notes and the call stack where it was raised. Use 'raise', 'raiseFrom' and
-- 'virgilError' rather than the constructor, so that the call stack is filled in.
--
-- 'show' is its message (or name when the message is empty); 'displayException' the whole
-- story with its causes and frames.
data VirgilException = VirgilException
  { virgilName :: Text
  , virgilMessage :: Text
  , virgilCause :: Maybe SomeException
  , virgilNotes :: [Text]
  , virgilCallStack :: CallStack
  }

instance Show VirgilException where
  show e = T.unpack (if T.null (virgilMessage e) then virgilName e else virgilMessage e)

instance Exception VirgilException where
  displayException = T.unpack . renderException . toExceptionRecord . toException

-- | Throws a named exception, recording the call stack:
-- @raise "ValueError" "stats of an empty list"@.
raise :: HasCallStack => Text -> Text -> IO a
raise name msg = throwIO (VirgilException name msg Nothing [] callStack)

-- | Throws a named exception caused by another one.
raiseFrom :: (HasCallStack, Exception e) => Text -> Text -> e -> IO a
raiseFrom name msg cause = throwIO (VirgilException name msg (Just (toException cause)) [] callStack)

-- | 'raise' for pure code, like 'error'.
virgilError :: HasCallStack => Text -> Text -> a
virgilError name msg = throw (VirgilException name msg Nothing [] callStack)

-- | A transparent context level (see 'withContext'): its text, the exception it wraps and the
-- call stack where the context was added. It has no name of its own: its record takes the
-- name of its cause.
data Context = Context Text SomeException CallStack

instance Show Context where
  show (Context msg _ _) = T.unpack msg

instance Exception Context where
  displayException = T.unpack . renderException . toExceptionRecord . toException

-- | Runs an action and wraps any synchronous exception it throws in a context level, the way
-- Go's @fmt.Errorf("load config: %w", err)@ does: the level's message is the text, its name is
-- its cause's name (so a missing file is still a @FileNotFoundError@ however many contexts
-- were added), its cause the original exception, its frame where 'withContext' was called.
-- Asynchronous exceptions pass through.
--
-- > loadConfig :: HasCallStack => FilePath -> IO ByteString
-- > loadConfig path = withContext "load config" (BS.readFile path)
--
-- Handlers in Haskell code see a 'Context'; its second field is the original exception.
withContext :: HasCallStack => Text -> IO a -> IO a
withContext msg action = action `catch` \(ex :: SomeException) ->
  case fromException ex :: Maybe SomeAsyncException of
    Just _ -> throwIO ex
    Nothing -> throwIO (Context msg ex callStack)

-- | Any exception, thrown with a cause and the call stack where it was thrown: its name and
-- message come from the wrapped exception, as if it had been thrown itself.
data Caused = forall e. Exception e => Caused e SomeException CallStack

instance Show Caused where
  show (Caused e _ _) = displayException e

instance Exception Caused where
  displayException (Caused e _ _) = displayException e

-- | Throws @e@ with @cause@ as its cause: @throwCaused (userError "load failed") ioErr@.
throwCaused :: (HasCallStack, Exception e, Exception c) => e -> c -> IO a
throwCaused e cause = throwIO (Caused e (toException cause) callStack)

-- | Runs an action and rethrows any synchronous exception it throws as @wrap ex@, caused by
-- @ex@. Asynchronous exceptions pass through.
wrapException :: (HasCallStack, Exception e) => (SomeException -> e) -> IO a -> IO a
wrapException wrap action = action `catch` \(ex :: SomeException) ->
  case fromException ex :: Maybe SomeAsyncException of
    Just _ -> throwIO ex
    Nothing -> throwIO (Caused (wrap ex) ex callStack)

-- | An exception with notes added (the record's @notes@).
data Annotated = Annotated [Text] SomeException

instance Show Annotated where
  show (Annotated _ e) = displayException e

instance Exception Annotated where
  displayException (Annotated _ e) = displayException e

-- | Adds a note to any exception the action throws.
annotate :: Text -> IO a -> IO a
annotate note action = action `catch` \(ex :: SomeException) -> case fromException ex of
  Just (Annotated notes inner) -> throwIO (Annotated (notes ++ [note]) inner)
  Nothing -> throwIO (Annotated [note] ex)

-- | The guest could not allocate a buffer of this many bytes for its reply (a
-- @virgil.OutOfMemory@, ABI.md section 7).
newtype AllocationFailed = AllocationFailed Int
  deriving (Show)

instance Exception AllocationFailed where
  displayException (AllocationFailed n) =
    "the guest could not allocate " ++ show n ++ " bytes for its reply"

------------------------------------------------------------------------------------------------
-- Attributes of the user's own exception types

-- | An exception type of your own whose records carry attributes (and, if you like, a name
-- other than its type's). Join it to the kit's hierarchy in its 'Exception' instance, so the
-- kit can find the attributes of a thrown value and handlers still catch it by its own type:
--
-- > data QuotaError = QuotaError {code :: Int, reason :: String}
-- >   deriving stock (Show, Generic)
-- >
-- > instance Exception QuotaError where
-- >   toException = attributedToException
-- >   fromException = attributedFromException
-- >
-- > instance Attributed QuotaError where
-- >   exceptionAttributes = recordAttributes   -- {"code": 7, "reason": "disk full"}
--
-- Without the two lines in the 'Exception' instance the exception still crosses, named by its
-- type, but without attributes.
class Exception e => Attributed e where
  -- | The record's attributes (ABI.md section 6): any keys, values as 'Value'. Default: none.
  exceptionAttributes :: e -> [(Text, Value)]
  exceptionAttributes _ = []

  -- | The record's name. Default: the type's name ('exceptionTypeName').
  exceptionName :: e -> Text
  exceptionName = exceptionTypeName

-- | Any 'Attributed' exception, the parent of those types in the exception hierarchy.
data SomeAttributed = forall e. Attributed e => SomeAttributed e

instance Show SomeAttributed where
  show (SomeAttributed e) = show e

instance Exception SomeAttributed where
  displayException (SomeAttributed e) = displayException e

-- | 'toException' for an 'Attributed' type.
attributedToException :: Attributed e => e -> SomeException
attributedToException = toException . SomeAttributed

-- | 'fromException' for an 'Attributed' type.
attributedFromException :: Attributed e => SomeException -> Maybe e
attributedFromException se = do
  SomeAttributed e <- fromException se
  cast e

-- | A record type's fields as attributes, keyed by field name (a generic 'exceptionAttributes'
-- for any record whose fields are 'ToMsgpack').
recordAttributes :: (Generic e, GToRecord (Rep e)) => e -> [(Text, Value)]
recordAttributes e = case genericToMsgpack id e of
  Map kvs -> [(k, v) | (Str k, v) <- kvs]
  _ -> []

------------------------------------------------------------------------------------------------
-- Standard names (ABI.md section 7.1)

-- | The name of an error number (Linux numbering): @errnoName 2 == "FileNotFoundError"@, and
-- @OSError@ for a number without a name of its own.
errnoName :: Int -> Text
errnoName n = fromMaybe "OSError" (specificErrnoName n)

specificErrnoName :: Int -> Maybe Text
specificErrnoName n = lookup n table
  where
    table =
      [ (2, "FileNotFoundError")
      , (17, "FileExistsError")
      , (13, "PermissionError")
      , (1, "PermissionError")
      , (21, "IsADirectoryError")
      , (20, "NotADirectoryError")
      , (110, "TimeoutError")
      , (4, "InterruptedError")
      , (11, "BlockingIOError")
      , (114, "BlockingIOError")
      , (115, "BlockingIOError")
      , (32, "BrokenPipeError")
      , (108, "BrokenPipeError")
      , (111, "ConnectionRefusedError")
      , (104, "ConnectionResetError")
      , (103, "ConnectionAbortedError")
      , (10, "ChildProcessError")
      , (3, "ProcessLookupError")
      ]

-- | The shared name of an 'IOException': @Exception@ for 'userError'; else the name of its
-- errno when that has one of its own; else by its type (@NoSuchThing@ is
-- @FileNotFoundError@, @AlreadyExists@ @FileExistsError@, @PermissionDenied@
-- @PermissionError@, @InappropriateType@ "is a directory" @IsADirectoryError@, @EOF@
-- @EOFError@, @UnsupportedOperation@ @NotImplementedError@, @TimeExpired@ @TimeoutError@);
-- else @OSError@.
ioExceptionName :: IOException -> Text
ioExceptionName e
  | ioe_type e == UserError = "Exception"
  | Just n <- ioErrno e, Just name <- specificErrnoName n = name
  | otherwise = case ioe_type e of
      NoSuchThing -> "FileNotFoundError"
      AlreadyExists -> "FileExistsError"
      PermissionDenied -> "PermissionError"
      InappropriateType | isDirectoryError e -> "IsADirectoryError"
      EOF -> "EOFError"
      UnsupportedOperation -> "NotImplementedError"
      TimeExpired -> "TimeoutError"
      _ -> "OSError"

ioErrno :: IOException -> Maybe Int
ioErrno = fmap fromIntegral . ioe_errno

isDirectoryError :: IOException -> Bool
isDirectoryError e =
  ioErrno e == Just 21
    || (ioe_type e == InappropriateType && T.toLower (T.pack (ioe_description e)) == "is a directory")

-- | The errno an 'IOException' carries, or the one its type implies when GHC left it out
-- (@openFile@ of a directory has none): ENOENT for @NoSuchThing@, EEXIST for @AlreadyExists@,
-- EACCES for @PermissionDenied@, EISDIR for a directory.
ioEffectiveErrno :: IOException -> Maybe Int
ioEffectiveErrno e = case ioErrno e of
  Just n -> Just n
  Nothing -> case ioe_type e of
    NoSuchThing -> Just 2
    AlreadyExists -> Just 17
    PermissionDenied -> Just 13
    InappropriateType | isDirectoryError e -> Just 21
    _ -> Nothing

ioRecord :: IOException -> ExceptionRecord
ioRecord e
  | ioe_type e == UserError = exceptionRecord "Exception" (T.pack (ioe_description e))
  | otherwise =
      (exceptionRecord (ioExceptionName e) (T.pack (displayException e)))
        { excAttributes =
            [("errno", Int (toInteger n)) | Just n <- [ioEffectiveErrno e]]
              ++ [("filename", Str (T.pack f)) | Just f <- [ioe_filename e]]
        }

-- | The shared name of an 'ArithException': @Overflow@ is @OverflowError@, @DivideByZero@
-- and @RatioZeroDenominator@ @ZeroDivisionError@, the others @ArithmeticError@.
arithExceptionName :: ArithException -> Text
arithExceptionName e = case e of
  Overflow -> "OverflowError"
  DivideByZero -> "ZeroDivisionError"
  RatioZeroDenominator -> "ZeroDivisionError"
  _ -> "ArithmeticError"

-- | The Haskell exception a record stands for, read back by the table of ABI.md section 7.1,
-- so that a Haskell handler catches a foreign failure as its own: @FileNotFoundError@ is an
-- 'IOException' for which 'System.IO.Error.isDoesNotExistError' holds (with the record's
-- @errno@, @filename@ and message), @FileExistsError@ @isAlreadyExistsError@,
-- @PermissionError@ @isPermissionError@, @IsADirectoryError@ an @InappropriateType@ "is a
-- directory", @EOFError@ @isEOFError@, @TimeoutError@ a @TimeExpired@, @NotImplementedError@
-- an @UnsupportedOperation@, @OSError@ and the other names of the errno table an
-- 'IOException' of the record's errno, @Exception@ a 'userError', @OverflowError@ 'Overflow',
-- @ZeroDivisionError@ 'DivideByZero'. Any other record is itself (an 'ExceptionRecord'). The
-- standard exception keeps the record's message and attributes, not its frames and causes.
foreignException :: ExceptionRecord -> SomeException
foreignException r = case excName r of
  "FileNotFoundError" -> io NoSuchThing
  "FileExistsError" -> io AlreadyExists
  "PermissionError" -> io PermissionDenied
  "IsADirectoryError" -> ioWith InappropriateType (Just (fromMaybe 21 errno))
  "EOFError" -> io EOF
  "TimeoutError" -> io TimeExpired
  "NotImplementedError" -> io UnsupportedOperation
  "Exception" -> toException (userError (T.unpack (excMessage r)))
  "OverflowError" -> toException Overflow
  "ZeroDivisionError" -> toException DivideByZero
  name
    | name == "OSError" || name `elem` errnoNames -> io (maybe OtherError errnoType errno)
    | otherwise -> toException r
  where
    errnoNames = ["NotADirectoryError", "InterruptedError", "BlockingIOError", "BrokenPipeError", "ConnectionRefusedError", "ConnectionResetError", "ConnectionAbortedError", "ChildProcessError", "ProcessLookupError"]
    errno = case lookupAttribute "errno" r of
      Just (Int n) | n >= 0 && n <= 65535 -> Just (fromInteger n :: CInt)
      _ -> Nothing
    filename = case lookupAttribute "filename" r of
      Just (Str f) -> Just (T.unpack f)
      _ -> Nothing
    errnoType n = ioe_type (errnoToIOError "" (Errno n) Nothing Nothing)
    io t = ioWith t errno
    ioWith t n = toException (IOError Nothing t "" (T.unpack (excMessage r)) n filename)

------------------------------------------------------------------------------------------------
-- Converting

-- | The record of any exception, its causes included, within the limits of a chain of
-- 'maxChain' records, tracebacks of 'maxTraceback' frames and 'maxAttributes' attributes (cut
-- with a note when longer). Frames of the kit's own modules ('isGlueFrame') are left out.
toExceptionRecord :: SomeException -> ExceptionRecord
toExceptionRecord = limitRecord . describe

describe :: SomeException -> ExceptionRecord
describe se
  | Just (r :: ExceptionRecord) <- fromException se = r
  | Just (VirgilException name msg cause notes stack) <- fromException se =
      ExceptionRecord name msg language (callStackFrames stack) (describe <$> cause) notes []
  | Just (Context msg inner stack) <- fromException se =
      let c = describe inner
       in ExceptionRecord (excName c) msg language (callStackFrames stack) (Just c) [] []
  | Just (Caused e cause stack) <- fromException se =
      let base = describe (toException e)
          frames = callStackFrames stack
       in base
            { excTraceback = if null frames then excTraceback base else frames
            , excCause = Just (describe cause)
            }
  | Just (Annotated notes inner) <- fromException se =
      let base = describe inner in base {excNotes = excNotes base ++ notes}
  | Just (SomeAttributed e) <- fromException se =
      (exceptionRecord (exceptionName e) (T.pack (displayException e)))
        {excAttributes = sortAttributes (exceptionAttributes e)}
  | Just (ErrorCallWithLocation msg loc) <- fromException se =
      ExceptionRecord "ErrorCall" (T.pack msg) language (filter (not . isGlueFrame) (parseCallStackText loc)) Nothing [] []
  | Just (e :: IOException) <- fromException se = ioRecord e
  | Just (e :: ArithException) <- fromException se =
      exceptionRecord (arithExceptionName e) (T.pack (displayException e))
  | Just (EncodeError msg) <- fromException se = exceptionRecord resultErrorName msg
  | Just (LimitExceeded msg) <- fromException se = exceptionRecord limitExceededName msg
  | Just e@(AllocationFailed _) <- fromException se =
      exceptionRecord outOfMemoryName (T.pack (displayException e))
  | Just HeapOverflow <- fromException se =
      exceptionRecord outOfMemoryName "the Haskell heap is exhausted (heap overflow)"
  | Just (SomeAsyncException e) <- fromException se =
      exceptionRecord (exceptionTypeName e) (T.pack (displayException e))
  | SomeException e <- se = exceptionRecord (exceptionTypeName e) (T.pack (displayException e))

-- | The name of an exception's type: @ErrorCall@, @QuotaError@.
exceptionTypeName :: Exception e => e -> Text
exceptionTypeName = T.pack . show . typeOf

-- | A frame of the kit's own code (a @Virgil.*@ module), which never appears in a record.
isGlueFrame :: Frame -> Bool
isGlueFrame f =
  fn == "Virgil" || "Virgil." `T.isPrefixOf` fn || "cabi/haskell/src/Virgil" `T.isInfixOf` frameFile f
  where
    fn = frameFunction f

-- | Gives a record of a user failure (this language's, not a framework name @virgil.*@) the
-- exported function's frame when its outermost level has no frame of its own (an
-- 'IOException', an 'ArithException', a user's type thrown with 'throwIO'), and names a frame
-- that lies on the export's own line (the outermost call of a 'HasCallStack' function, whose
-- enclosing function GHC does not know) after the exported function.
withUserFrame :: Frame -> ExceptionRecord -> ExceptionRecord
withUserFrame site r
  | excLanguage r /= language || isFrameworkName (excName r) = r
  | null (excTraceback r) = r {excTraceback = [site]}
  | otherwise = r {excTraceback = map relabel (excTraceback r)}
  where
    relabel f
      | frameFile f == frameFile site && frameLine f == frameLine site && not ("." `T.isInfixOf` frameFunction f) =
          f {frameFunction = frameFunction site}
      | otherwise = f

-- | Cuts a chain longer than 'maxChain' records, tracebacks longer than 'maxTraceback' frames
-- (keeping the newest frames) and more than 'maxAttributes' attributes, saying so in a note.
limitRecord :: ExceptionRecord -> ExceptionRecord
limitRecord = go 1
  where
    go level r =
      let r' = cutAttributes (cutFrames r)
       in case excCause r' of
            Nothing -> r'
            Just c
              | level >= maxChain ->
                  r'
                    { excCause = Nothing
                    , excNotes =
                        excNotes r'
                          ++ [ "cause chain cut at " <> T.pack (show maxChain) <> " records; "
                                <> T.pack (show (chainLength c)) <> " more dropped"
                             ]
                    }
              | otherwise -> r' {excCause = Just (go (level + 1) c)}
    cutFrames r
      | n <= maxTraceback = r
      | otherwise =
          r
            { excTraceback = drop (n - maxTraceback) (excTraceback r)
            , excNotes =
                excNotes r
                  ++ [ "traceback cut to the newest " <> T.pack (show maxTraceback) <> " of "
                        <> T.pack (show n) <> " frames"
                     ]
            }
      where
        n = length (excTraceback r)
    cutAttributes r
      | n <= maxAttributes = r
      | otherwise =
          r
            { excAttributes = take maxAttributes (sortAttributes (excAttributes r))
            , excNotes =
                excNotes r
                  ++ [ "attributes cut to the first " <> T.pack (show maxAttributes) <> " of "
                        <> T.pack (show n)
                     ]
            }
      where
        n = length (excAttributes r)
    chainLength :: ExceptionRecord -> Int
    chainLength = foldl' (\k _ -> k + 1) 0 . chainOf

-- | The frames of a call stack, oldest call first, without the kit's own ('isGlueFrame'). GHC
-- records, for each call, the function called and the location of the call, which lies in the
-- function that made it (the next entry's function). A frame names that enclosing function
-- (qualified by its module), or only the module for the outermost call, whose caller has no
-- 'HasCallStack'.
callStackFrames :: CallStack -> [Frame]
callStackFrames cs =
  filter (not . isGlueFrame) $
    framesOf
      [ (T.pack fn, T.pack (srcLocFile l), srcLocStartLine l, srcLocStartCol l, T.pack (srcLocModule l))
      | (fn, l) <- getCallStack cs
      ]

-- Entries newest first: (function called, file, line, column, module of the call site).
framesOf :: [(Text, Text, Int, Int, Text)] -> [Frame]
framesOf = reverse . go
  where
    go [] = []
    go ((_, file, line, col, m) : rest) = Frame (enclosing m rest) file line col : go rest
    enclosing m ((fn, _, _, _, _) : _) = if T.null m then fn else m <> "." <> fn
    enclosing m [] = m

-- | The frames of a call stack printed by 'GHC.Stack.prettyCallStack', as an 'ErrorCall'
-- carries it: lines like @"  error, called at src/M.hs:12:5 in main:M"@. Lines that do not parse
-- become frames with only a function name.
parseCallStackText :: String -> [Frame]
parseCallStackText txt = framesOf (concatMap entry (T.lines (T.pack txt)))
  where
    entry line = case T.breakOn ", called at " (T.strip line) of
      (fn, rest)
        | not (T.null rest) -> [location fn (T.drop (T.length ", called at ") rest)]
        | T.null (T.strip line) || "CallStack (from" `T.isPrefixOf` T.strip line -> []
        | otherwise -> [(T.strip line, T.empty, 0, 0, T.empty)]
    location fn loc =
      let (place, pkgMod) = T.breakOnEnd " in " loc
          place' = if T.null place then loc else T.dropEnd (T.length " in ") place
          m = if T.null place then T.empty else T.takeWhileEnd (/= ':') pkgMod
          parts = T.splitOn ":" place'
       in case reverse parts of
            (c : l : fileParts@(_ : _))
              | Just l' <- number l, Just c' <- number c ->
                  (fn, T.intercalate ":" (reverse fileParts), l', c', m)
            _ -> (fn, place', 0, 0, m)
    number t = case reads (T.unpack t) of
      [(n, "")] -> Just n
      _ -> Nothing
